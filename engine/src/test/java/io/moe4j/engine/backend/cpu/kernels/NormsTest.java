package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * RMSNorm and LayerNorm against double references, on several rows with a row stride wider than the row (the gap
 * holds sentinels that must survive). RMSNorm: relative error ≤ 1e-6 per element. LayerNorm: the float32
 * {@code x − mean} may cancel, so its bound is {@code 1e-6 · inv · |w| · (|x| + |mean|)} (+ the bias's rounding).
 */
class NormsTest {
    private static final int ROWS = 3;
    private final Random random = new Random(11);

    @Test
    void rmsNorm() {
        for (int n : SIZES) for (long off : OFFSETS) for (float eps : new float[] {1e-5f, 1e-6f}) {
            try (Arena arena = Arena.ofConfined()) {
                float scale = n == 64 ? 1e-3f : n == 4097 ? 300f : 1f; // small and large activations too
                float[] x = gaussian(random, ROWS * n, scale, 0), w = gaussian(random, n, 0.2, 1);
                long xStride = 4L * n + 12, outStride = 4L * n + 8;
                Buf bx = strided(arena, x, n, xStride, off), bw = floats(arena, w, off ^ 1);
                Buf out = buffer(arena, outStride * (ROWS - 1) + 4L * n, off ^ 3);
                Norms.rmsNorm(bx.seg(), bx.off(), xStride, bw.seg(), bw.off(), out.seg(), out.off(), outStride, ROWS,
                        n, eps);
                for (int r = 0; r < ROWS; r++) {
                    double ms = 0;
                    for (int i = 0; i < n; i++) ms += (double) x[r * n + i] * x[r * n + i];
                    double inv = 1 / Math.sqrt(ms / n + eps);
                    for (int i = 0; i < n; i++) {
                        double ref = x[r * n + i] * inv * w[i];
                        float got = out.seg().get(F32, out.off() + r * outStride + 4L * i);
                        assertClose(ref, got, 1e-6 * Math.abs(ref) + 1e-37, where("rmsNorm row " + r, n, off, i));
                    }
                }
                assertGapsIntact(out, ROWS, n, outStride);
            }
        }
    }

    @Test
    void rmsNormSingleRowInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 4096;
            float[] x = gaussian(random, n, 1, 0), w = gaussian(random, n, 0.2, 1);
            Buf bx = floats(arena, x, 4), bw = floats(arena, w, 0), ref = buffer(arena, 4L * n, 0);
            Norms.rmsNorm(bx.seg(), bx.off(), bw.seg(), 0, ref.seg(), 0, n, 1e-5f);
            Norms.rmsNorm(bx.seg(), bx.off(), bw.seg(), 0, bx.seg(), bx.off(), n, 1e-5f);
            for (int i = 0; i < n; i++) assertEquals(ref.f(i), bx.f(i), "in place " + i);
            bx.assertGuardsIntact();
        }
    }

    @Test
    void rmsNormOfZerosIsZeros() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 31;
            Buf bx = floats(arena, new float[n], 0), bw = floats(arena, gaussian(random, n, 1, 0), 0);
            Buf out = buffer(arena, 4L * n, 0);
            Norms.rmsNorm(bx.seg(), 0, bw.seg(), 0, out.seg(), 0, n, 1e-6f);
            for (int i = 0; i < n; i++) assertEquals(0f, Math.abs(out.f(i)));
        }
    }

    @Test
    void layerNorm() {
        for (int n : SIZES) for (long off : OFFSETS) for (boolean bias : new boolean[] {false, true}) {
            try (Arena arena = Arena.ofConfined()) {
                float[] x = gaussian(random, ROWS * n, 2, 3), w = gaussian(random, n, 0.2, 1), b = gaussian(random, n,
                        0.1, 0);
                float eps = 1e-5f;
                long xStride = 4L * n + 4, outStride = 4L * n + 20;
                Buf bx = strided(arena, x, n, xStride, off), bw = floats(arena, w, off ^ 1), bb = floats(arena, b, 2);
                Buf out = buffer(arena, outStride * (ROWS - 1) + 4L * n, off);
                if (bias) {
                    Norms.layerNorm(bx.seg(), bx.off(), xStride, bw.seg(), bw.off(), bb.seg(), bb.off(),
                            out.seg(), out.off(), outStride, ROWS, n, eps);
                } else {
                    Norms.layerNorm(bx.seg(), bx.off(), xStride, bw.seg(), bw.off(), null, 0,
                            out.seg(), out.off(), outStride, ROWS, n, eps);
                }
                for (int r = 0; r < ROWS; r++) {
                    double mean = 0, var = 0;
                    for (int i = 0; i < n; i++) mean += x[r * n + i];
                    mean /= n;
                    for (int i = 0; i < n; i++) var += (x[r * n + i] - mean) * (x[r * n + i] - mean);
                    var /= n;
                    double inv = 1 / Math.sqrt(var + eps);
                    for (int i = 0; i < n; i++) {
                        double xi = x[r * n + i];
                        double ref = (xi - mean) * inv * w[i] + (bias ? b[i] : 0);
                        double tol = 1e-6 * inv * Math.abs(w[i]) * (Math.abs(xi) + Math.abs(mean))
                                + 1e-6 * Math.abs(ref)
                                + (bias ? Math.ulp((float) ref) : 0);
                        float got = out.seg().get(F32, out.off() + r * outStride + 4L * i);
                        assertClose(ref, got, tol, where("layerNorm bias=" + bias + " row " + r, n, off, i));
                    }
                }
                assertGapsIntact(out, ROWS, n, outStride);
            }
        }
    }

    @Test
    void layerNormSingleRowMatchesRows() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 6144;
            float[] x = gaussian(random, n, 1, -2), w = gaussian(random, n, 0.2, 1);
            Buf bx = floats(arena, x, 0), bw = floats(arena, w, 0), a = buffer(arena, 4L * n, 0), b = buffer(arena,
                    4L * n, 0);
            Norms.layerNorm(bx.seg(), 0, bw.seg(), 0, a.seg(), 0, n, 1e-5f);
            Norms.layerNorm(bx.seg(), 0, 0, bw.seg(), 0, null, 0, b.seg(), 0, 0, 1, n, 1e-5f);
            for (int i = 0; i < n; i++) assertEquals(a.f(i), b.f(i));
            Norms.layerNorm(bx.seg(), 0, bw.seg(), 0, bx.seg(), 0, n, 1e-5f); // in place
            for (int i = 0; i < n; i++) assertEquals(a.f(i), bx.f(i));
        }
    }

    /** Rows of {@code n} floats from {@code x}, {@code stride} bytes apart, sentinels in the gaps. */
    private static Buf strided(Arena arena, float[] x, int n, long stride, long off) {
        int rows = x.length / n;
        Buf b = buffer(arena, stride * (rows - 1) + 4L * n, off);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < n; i++) b.seg().set(F32, off + r * stride + 4L * i, x[r * n + i]);
        }
        return b;
    }

    private static void assertGapsIntact(Buf out, int rows, int n, long stride) {
        out.assertGuardsIntact();
        for (int r = 0; r + 1 < rows; r++) {
            for (long p = out.off() + r * stride + 4L * n; p < out.off() + (r + 1) * stride; p++) {
                assertTrue(out.seg().get(java.lang.foreign.ValueLayout.JAVA_BYTE, p) == SENTINEL, "gap after row " + r
                        + " written");
            }
        }
    }
}
