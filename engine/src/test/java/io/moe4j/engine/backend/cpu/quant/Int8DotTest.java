package io.moe4j.engine.backend.cpu.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.QuantPath;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The quantized-activation path ({@link QuantPath#INT8_DOT}) against the double-precision reference over the
 * exactly dequantized weights. Rounding x to 8-bit codes moves each element by at most half its block's step
 * {@code d_x = amax / 127}, so the tolerance per output is {@code Σ_blocks d_x / 2 · Σ_j |w_j|} (the most that
 * rounding can change the exact sum) plus the float32 summation allowance {@code 1e-5 · Σ|x·w|}.
 */
class Int8DotTest {
    static CpuBackend backend;

    @BeforeAll
    static void open() { backend = CpuBackend.create(2); }

    @AfterAll
    static void close() { backend.close(); }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0"})
    void withinTheRoundingBoundOfTheReference(DType type) {
        try (Arena arena = Arena.ofShared()) {
            for (int[] kn : new int[][] {{256, 896}, {896, 256}, {512, 37}}) {
                int k = kn[0], n = kn[1];
                Tensor w = QuantTestSupport.weights(arena, type, 21, n, k);
                float[] ref = QuantTestSupport.reference(w);
                for (int m : new int[] {1, 3, 4, 5, 9}) {
                    Tensor x = QuantTestSupport.activations(arena, 22 + m, m, k);
                    Tensor y = Tensor.allocate(arena, DType.F32, m, n);
                    backend.matmul(x, w, y, QuantPath.INT8_DOT);
                    check(x, ref, n, y, type);
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        try (Arena arena = Arena.ofShared(); CpuBackend one = CpuBackend.create(1)) {
            for (DType type : new DType[] {DType.Q8_0, DType.Q4_0}) {
                Tensor w = QuantTestSupport.weights(arena, type, 23, 1001, 2048);
                Tensor x = QuantTestSupport.activations(arena, 24, 6, 2048);
                Tensor y1 = Tensor.allocate(arena, DType.F32, 6, 1001), y2 = Tensor.allocate(arena, DType.F32, 6, 1001);
                one.matmul(x, w, y1, QuantPath.INT8_DOT);
                backend.matmul(x, w, y2, QuantPath.INT8_DOT);
                assertArrayEquals(y1.toFloatArray(), y2.toFloatArray(), type.toString());
            }
        }
    }

    @Test
    void onlyQ8_0AndQ4_0() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = QuantTestSupport.weights(arena, DType.Q4_K, 25, 8, 256);
            var e = assertThrows(IllegalArgumentException.class, () -> backend.matmul(
                    Tensor.allocate(arena, DType.F32, 1, 256), w, Tensor.allocate(arena, DType.F32, 1, 8), QuantPath.INT8_DOT));
            assertTrue(e.getMessage().contains("Q4_K"), e.getMessage());
            Tensor wf = Tensor.allocate(arena, DType.F32, 8, 256);
            e = assertThrows(IllegalArgumentException.class, () -> backend.matmul(
                    Tensor.allocate(arena, DType.F32, 1, 256), wf, Tensor.allocate(arena, DType.F32, 1, 8), QuantPath.GEMV));
            assertTrue(e.getMessage().contains("block-quantized"), e.getMessage());
        }
    }

    private static void check(Tensor x, float[] w, int n, Tensor y, DType type) {
        int m = (int) x.dim(0), k = (int) x.dim(1);
        for (int i = 0; i < m; i++) {
            float[] xs = new float[k];
            for (int j = 0; j < k; j++) xs[j] = x.getFloat(i, j);
            for (int c = 0; c < n; c++) {
                double sum = 0, magnitude = 0, rounding = 0;
                for (int b = 0; b < k; b += 32) {
                    double amax = 0, wAbs = 0;
                    for (int l = b; l < b + 32; l++) {
                        double p = (double) xs[l] * w[c * k + l];
                        sum += p;
                        magnitude += Math.abs(p);
                        amax = Math.max(amax, Math.abs(xs[l]));
                        wAbs += Math.abs(w[c * k + l]);
                    }
                    rounding += amax / 127 / 2 * wAbs;
                }
                double error = Math.abs(y.getFloat(i, c) - sum), bound = rounding * (1 + 1e-5) + 1e-5 * magnitude;
                if (!(error <= bound)) {
                    throw new AssertionError("y[" + i + ", " + c + "] = " + y.getFloat(i, c) + ", expected " + sum
                            + " ± " + bound + " (" + type + " M=" + m + " N=" + n + " K=" + k + ")");
                }
            }
        }
    }
}
