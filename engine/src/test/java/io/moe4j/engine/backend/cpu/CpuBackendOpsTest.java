package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backend's ops on tensors, against scalar double references (the kernels' own tests go deeper): shapes
 * from Mixtral (hidden 4096, 32 heads × 128) scaled down, row strides, and operand checks.
 */
class CpuBackendOpsTest {
    static CpuBackend backend;
    static Arena arena;

    @BeforeAll
    static void open() {
        backend = CpuBackend.create(2);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() {
        arena.close();
        backend.close();
    }

    @Test
    void rmsNormAndLayerNorm() {
        Tensor x = random(1, 3, 4096);
        Tensor w = random(2, 4096);
        Tensor out = Tensor.allocate(arena, DType.F32, 3, 4096);
        backend.rmsNorm(x, w, 1e-5f, out);
        for (int r = 0; r < 3; r++) {
            double ss = 0;
            for (int i = 0; i < 4096; i++) ss += (double) x.getFloat(r, i) * x.getFloat(r, i);
            double inv = 1 / Math.sqrt(ss / 4096 + 1e-5);
            for (int i = 0; i < 4096; i++) assertEquals(x.getFloat(r, i) * inv * w.getFloat(i), out.getFloat(r, i), 1e-5);
        }
        backend.layerNorm(x, w, 1e-5f, out);
        for (int r = 0; r < 3; r++) {
            double mean = 0, var = 0;
            for (int i = 0; i < 4096; i++) mean += x.getFloat(r, i);
            mean /= 4096;
            for (int i = 0; i < 4096; i++) var += Math.pow(x.getFloat(r, i) - mean, 2);
            double inv = 1 / Math.sqrt(var / 4096 + 1e-5);
            for (int i = 0; i < 4096; i++) {
                assertEquals((x.getFloat(r, i) - mean) * inv * w.getFloat(i), out.getFloat(r, i), 1e-5);
            }
        }
    }

    @Test
    void activations() {
        Tensor a = random(3, 2, 1000);
        Tensor b = random(4, 2, 1000);
        Tensor out = Tensor.allocate(arena, DType.F32, 2, 1000);
        backend.siluMul(a, b, out);
        forEach(a, (r, i, v) -> assertEquals(v / (1 + Math.exp(-v)) * b.getFloat(r, i), out.getFloat(r, i), 1e-6));
        backend.silu(a, out);
        forEach(a, (r, i, v) -> assertEquals(v / (1 + Math.exp(-v)), out.getFloat(r, i), 1e-6));
        backend.relu(a, out);
        forEach(a, (r, i, v) -> assertEquals(Math.max(v, 0), out.getFloat(r, i), 0));
        backend.gelu(a, out);
        forEach(a, (r, i, v) -> assertEquals(0.5 * v * (1 + erf(v / Math.sqrt(2))), out.getFloat(r, i), 2e-6));
        backend.scale(a, 0.5f, out);
        forEach(a, (r, i, v) -> assertEquals(v * 0.5f, out.getFloat(r, i), 0));
        backend.add(a, b, out);
        forEach(a, (r, i, v) -> assertEquals(v + b.getFloat(r, i), out.getFloat(r, i), 0));
    }

    @Test
    void softmaxAndTopKWithTiesToTheLowerIndex() {
        Tensor scores = Tensor.ofFloats(arena, new float[] {1, 3, 3, 2, 0, 3, 1, 1}, 2, 4);
        Tensor p = Tensor.allocate(arena, DType.F32, 2, 4);
        backend.softmax(scores, p);
        double z = Math.exp(1) + 2 * Math.exp(3) + Math.exp(2);
        assertEquals(Math.exp(3) / z, p.getFloat(0, 1), 1e-7);
        Tensor idx = Tensor.allocate(arena, DType.I32, 2, 2);
        Tensor val = Tensor.allocate(arena, DType.F32, 2, 2);
        backend.topK(scores, 2, idx, val);
        assertArrayEquals(new float[] {1, 2, 1, 2}, idx.toFloatArray());
        assertArrayEquals(new float[] {3, 3, 3, 1}, val.toFloatArray());
    }

    @Test
    void ropeRotatesHalvesByPosition() {
        int heads = 4, hd = 16;
        Tensor x = random(5, 3, heads, hd);
        float[] before = x.toFloatArray();
        Tensor pos = Tensor.allocate(arena, DType.I32, 3);
        pos.setFloat(0, 0);
        pos.setFloat(7, 1);
        pos.setFloat(1000, 2);
        backend.rope(x, pos, 1e6f);
        int[] positions = {0, 7, 1000};
        for (int t = 0; t < 3; t++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < hd / 2; i++) {
                    double invFreq = 1.0 / Math.pow(1e6, 2.0 * i / hd);
                    double angle = positions[t] * invFreq;
                    int base = (t * heads + h) * hd;
                    double a = before[base + i], b = before[base + i + hd / 2];
                    assertEquals(a * Math.cos(angle) - b * Math.sin(angle), x.getFloat(t, h, i), 2e-4);
                    assertEquals(b * Math.cos(angle) + a * Math.sin(angle), x.getFloat(t, h, i + hd / 2), 2e-4);
                }
            }
        }
    }

    @Test
    void operandChecksNameTheOperand() {
        Tensor x = random(6, 2, 64);
        assertMessage("rmsNorm weight", () -> backend.rmsNorm(x, random(7, 63), 1e-5f, Tensor.allocate(arena, DType.F32, 2, 64)));
        assertMessage("shapes differ", () -> backend.add(x, random(8, 2, 65), Tensor.allocate(arena, DType.F32, 2, 64)));
        assertMessage("topK k=5", () -> backend.topK(random(9, 2, 4), 5, Tensor.allocate(arena, DType.I32, 2, 5),
                Tensor.allocate(arena, DType.F32, 2, 5)));
        assertMessage("rope positions", () -> backend.rope(random(10, 2, 2, 8), Tensor.allocate(arena, DType.I32, 3), 1e4f));
        assertMessage("softmax x must be F32", () -> backend.softmax(Tensor.allocate(arena, DType.BF16, 2, 4),
                Tensor.allocate(arena, DType.F32, 2, 4)));
    }

    interface Check { void at(int row, int i, float v); }

    static void forEach(Tensor a, Check check) {
        for (int r = 0; r < a.dim(0); r++) for (int i = 0; i < a.dim(1); i++) check.at(r, i, a.getFloat(r, i));
    }

    static void assertMessage(String expected, Runnable call) {
        var e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static Tensor random(long seed, long... shape) {
        SplittableRandom random = new SplittableRandom(seed);
        long n = 1;
        for (long d : shape) n *= d;
        float[] values = new float[(int) n];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextDouble(-3, 3);
        return Tensor.ofFloats(arena, values, shape);
    }

    /** erf to double precision by its Taylor series (|x| ≤ 3 here, where 60 terms converge). */
    static double erf(double x) {
        double sum = 0, term = x;
        for (int n = 0; n < 80; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
