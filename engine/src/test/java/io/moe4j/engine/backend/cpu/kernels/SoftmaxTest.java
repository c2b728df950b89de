package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Softmax and logSumExp against double references: each probability within {@code 2e-6} relative plus
 * {@code 1e-6 · max p} absolute (float exp, a float32 sum of up to 6144 terms, one reciprocal), logSumExp within
 * {@code 1e-6 · max(1, |ref|)}. Rows of ordinary, large (up to 1e30, which would overflow exp without the max
 * shift) and tiny spreads; special rows (NaN, all −∞, +∞, a single element); several rows with strides; in place.
 */
class SoftmaxTest {
    private final Random random = new Random(5);

    @Test
    void softmaxAndLogSumExp() {
        double[][] shapes = {{3, 0}, {20, 0}, {1, 1e4}, {30, 1e30}, {1e-3, 5}};
        for (int n : SIZES) for (long off : OFFSETS) for (double[] shape : shapes) {
            try (Arena arena = Arena.ofConfined()) {
                float[] x = gaussian(random, n, shape[0], shape[1]);
                if (shape[1] == 1e30) { // spread 3e27 around 1e30: exp would overflow without the max shift
                    for (int i = 0; i < n; i++) x[i] = (float) (1e30 + shape[0] * 1e26 * random.nextGaussian());
                }
                Buf bx = floats(arena, x, off), out = buffer(arena, 4L * n, off ^ 1);
                Softmax.softmax(bx.seg(), bx.off(), out.seg(), out.off(), n);
                double[] ref = refSoftmax(x);
                double maxP = 0;
                for (double p : ref) maxP = Math.max(maxP, p);
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    assertClose(ref[i], out.f(i), 2e-6 * ref[i] + 1e-6 * maxP, where("softmax " + shape[0] + ","
                            + shape[1], n, off, i));
                    sum += out.f(i);
                }
                assertEquals(1.0, sum, 1e-5);
                out.assertGuardsIntact();
                double lse = refLogSumExp(x);
                assertClose(lse, Softmax.logSumExp(bx.seg(), bx.off(), n), 1e-6 * Math.max(1, Math.abs(lse)),
                        where("logSumExp", n, off, -1));
                Softmax.softmax(bx.seg(), bx.off(), bx.seg(), bx.off(), n); // in place
                for (int i = 0; i < n; i++) assertEquals(out.f(i), bx.f(i), where("softmax in place", n, off, i));
                bx.assertGuardsIntact();
            }
        }
    }

    @Test
    void rowsWithStrides() {
        int rows = 4, n = 16; // DBRX router: 16 experts
        long xStride = 4L * n + 12, outStride = 4L * n + 4;
        try (Arena arena = Arena.ofConfined()) {
            float[] x = gaussian(random, rows * n, 2, 0);
            Buf bx = buffer(arena, xStride * rows, 3), out = buffer(arena, outStride * (rows - 1) + 4L * n, 1);
            for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) bx.seg().set(F32, 3 + r * xStride + 4L * i,
                    x[r * n + i]);
            Softmax.softmax(bx.seg(), 3, xStride, out.seg(), 1, outStride, rows, n);
            for (int r = 0; r < rows; r++) {
                double[] ref = refSoftmax(java.util.Arrays.copyOfRange(x, r * n, r * n + n));
                for (int i = 0; i < n; i++) {
                    assertClose(ref[i], out.seg().get(F32, 1 + r * outStride + 4L * i), 2e-6 * ref[i] + 1e-7, "row "
                            + r + " i " + i);
                }
                for (long p = 1 + r * outStride + 4L * n; r + 1 < rows && p < 1 + (r + 1) * outStride; p++) {
                    assertEquals(SENTINEL, out.seg().get(java.lang.foreign.ValueLayout.JAVA_BYTE, p), "gap written");
                }
            }
            out.assertGuardsIntact();
        }
    }

    @Test
    void specialRows() {
        float inf = Float.POSITIVE_INFINITY, nInf = Float.NEGATIVE_INFINITY;
        try (Arena arena = Arena.ofConfined()) {
            for (int n : new int[] {1, 9, 33}) {
                Buf out = buffer(arena, 4L * n, 0);
                // NaN anywhere → NaN row
                float[] x = gaussian(random, n, 1, 0);
                x[n / 2] = Float.NaN;
                Buf bx = floats(arena, x, 0);
                Softmax.softmax(bx.seg(), 0, out.seg(), 0, n);
                for (int i = 0; i < n; i++) assertTrue(Float.isNaN(out.f(i)), "NaN row " + i);
                assertTrue(Float.isNaN(Softmax.logSumExp(bx.seg(), 0, n)));
                // all −∞ → NaN softmax, −∞ logSumExp (torch)
                java.util.Arrays.fill(x, nInf);
                bx = floats(arena, x, 0);
                Softmax.softmax(bx.seg(), 0, out.seg(), 0, n);
                for (int i = 0; i < n; i++) assertTrue(Float.isNaN(out.f(i)), "all -inf row " + i);
                assertEquals(nInf, Softmax.logSumExp(bx.seg(), 0, n));
                // some −∞ (masked) → zeros there
                x = gaussian(random, n, 1, 0);
                for (int i = 0; i < n; i += 2) if (i > 0) x[i] = nInf;
                bx = floats(arena, x, 0);
                Softmax.softmax(bx.seg(), 0, out.seg(), 0, n);
                double[] ref = refSoftmax(x);
                for (int i = 0; i < n; i++) assertClose(ref[i], out.f(i), 2e-6 * ref[i] + 1e-7, "masked " + i);
                // +∞ → logSumExp +∞
                x[n - 1] = inf;
                bx = floats(arena, x, 0);
                assertEquals(inf, Softmax.logSumExp(bx.seg(), 0, n));
                out.assertGuardsIntact();
            }
            // a single element is certain; equal logits are uniform
            Buf one = floats(arena, new float[] {-1234.5f}, 0);
            Softmax.softmax(one.seg(), 0, one.seg(), 0, 1);
            assertEquals(1f, one.f(0));
            float[] same = new float[8];
            java.util.Arrays.fill(same, 7.25f);
            Buf bs = floats(arena, same, 0);
            Softmax.softmax(bs.seg(), 0, bs.seg(), 0, 8);
            for (int i = 0; i < 8; i++) assertEquals(0.125f, bs.f(i));
            assertEquals(7.25 + Math.log(8), Softmax.logSumExp(floats(arena, same, 0).seg(), 0, 8), 1e-6);
        }
    }

    static double[] refSoftmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double[] e = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) sum += e[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) e[i] /= sum;
        return e;
    }

    static double refLogSumExp(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) max = Math.max(max, v);
        double sum = 0;
        for (float v : x) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }
}
