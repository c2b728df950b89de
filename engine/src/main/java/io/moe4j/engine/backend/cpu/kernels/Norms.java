package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row normalisations in float32: RMSNorm (Llama, Mixtral) and LayerNorm (DBRX, without bias; a bias is
 * optional). Each of {@code rows} rows holds {@code n} contiguous floats; rows start {@code rowStride} bytes apart,
 * so a row may be part of a wider buffer. The weight {@code w} (and bias) is one F32 row of {@code n} shared by all
 * rows; weights in other dtypes are converted once at load time.
 *
 * <p>Why it is shaped this way: Hugging Face computes these norms in float32 whatever the model dtype, so does
 * this class (reductions in float32, with four vector accumulators for throughput and accuracy). RMSNorm is two
 * passes per row (sum of squares, then {@code x · inv · w}, multiplied in that order as HF does); LayerNorm is
 * three (mean, then the biased variance of {@code x − mean}, which is more accurate than {@code E[x²] − mean²},
 * then the output). {@code inv = 1/sqrt(…)} is computed in double from the float32 statistics and rounded once.
 * {@code out} may be the same memory as {@code x} (in place). Vectors never cross a method call (see
 * {@link Elementwise}).
 */
public final class Norms {
    private Norms() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** RMSNorm of one row: {@code out = x / sqrt(mean(x²) + eps) · w}. */
    public static void rmsNorm(MemorySegment x, long xOffset, MemorySegment w, long wOffset,
                               MemorySegment out, long outOffset, int n, float eps) {
        rmsNorm(x, xOffset, 0, w, wOffset, out, outOffset, 0, 1, n, eps);
    }

    /** RMSNorm of {@code rows} rows of {@code n}; strides in bytes. */
    public static void rmsNorm(MemorySegment x, long xOffset, long xRowStride, MemorySegment w, long wOffset,
                               MemorySegment out, long outOffset, long outRowStride, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            long xo = xOffset + r * xRowStride;
            long oo = outOffset + r * outRowStride;
            float inv = (float) (1.0 / Math.sqrt(sumOfSquares(x, xo, n, 0f) / n + eps));
            int i = 0;
            for (int bound = n & -L; i < bound; i += L) {
                FloatVector vx = FloatVector.fromMemorySegment(F, x, xo + 4L * i, BO);
                FloatVector vw = FloatVector.fromMemorySegment(F, w, wOffset + 4L * i, BO);
                vx.mul(inv).mul(vw).reinterpretAsLongs().intoMemorySegment(out, oo + 4L * i, BO);
            }
            for (; i < n; i++) {
                out.set(F32, oo + 4L * i, x.get(F32, xo + 4L * i) * inv * w.get(F32, wOffset + 4L * i));
            }
        }
    }

    /** LayerNorm of one row without bias: {@code out = (x − mean) / sqrt(var + eps) · w}, biased variance. */
    public static void layerNorm(MemorySegment x, long xOffset, MemorySegment w, long wOffset,
                                 MemorySegment out, long outOffset, int n, float eps) {
        layerNorm(x, xOffset, 0, w, wOffset, null, 0, out, outOffset, 0, 1, n, eps);
    }

    /**
     * LayerNorm of {@code rows} rows of {@code n}: {@code out = (x − mean) / sqrt(var + eps) · w (+ b)}, with the
     * biased variance (as torch). {@code b} may be {@code null} for no bias. Strides in bytes.
     */
    public static void layerNorm(MemorySegment x, long xOffset, long xRowStride, MemorySegment w, long wOffset,
                                 MemorySegment b, long bOffset, MemorySegment out, long outOffset,
                                 long outRowStride, int rows, int n, float eps) {
        for (int r = 0; r < rows; r++) {
            long xo = xOffset + r * xRowStride;
            long oo = outOffset + r * outRowStride;
            float mean = Elementwise.sum(x, xo, n) / n;
            float inv = (float) (1.0 / Math.sqrt(sumOfSquares(x, xo, n, mean) / n + eps));
            int i = 0;
            for (int bound = n & -L; i < bound; i += L) {
                FloatVector vx = FloatVector.fromMemorySegment(F, x, xo + 4L * i, BO);
                FloatVector vw = FloatVector.fromMemorySegment(F, w, wOffset + 4L * i, BO);
                FloatVector y = vx.sub(mean).mul(inv).mul(vw);
                if (b != null) y = y.add(FloatVector.fromMemorySegment(F, b, bOffset + 4L * i, BO));
                y.reinterpretAsLongs().intoMemorySegment(out, oo + 4L * i, BO);
            }
            for (; i < n; i++) {
                float y = (x.get(F32, xo + 4L * i) - mean) * inv * w.get(F32, wOffset + 4L * i);
                if (b != null) y += b.get(F32, bOffset + 4L * i);
                out.set(F32, oo + 4L * i, y);
            }
        }
    }

    /** {@code Σ (x[i] − shift)²} in float32 (shift 0 for RMSNorm, the mean for LayerNorm). */
    private static float sumOfSquares(MemorySegment x, long xo, int n, float shift) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        int i = 0;
        for (int bound = n & -(4 * L); i < bound; i += 4 * L) {
            long o = xo + 4L * i;
            FloatVector v0 = FloatVector.fromMemorySegment(F, x, o, BO).sub(shift);
            FloatVector v1 = FloatVector.fromMemorySegment(F, x, o + 4L * L, BO).sub(shift);
            FloatVector v2 = FloatVector.fromMemorySegment(F, x, o + 8L * L, BO).sub(shift);
            FloatVector v3 = FloatVector.fromMemorySegment(F, x, o + 12L * L, BO).sub(shift);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
            s2 = v2.fma(v2, s2);
            s3 = v3.fma(v3, s3);
        }
        for (int bound = n & -L; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xo + 4L * i, BO).sub(shift);
            s0 = v.fma(v, s0);
        }
        FloatVector total = s0.add(s1).add(s2.add(s3));
        if (LaneSum.L > 8) total = total.add(total.rearrange(LaneSum.X8));
        if (LaneSum.L > 4) total = total.add(total.rearrange(LaneSum.X4));
        if (LaneSum.L > 2) total = total.add(total.rearrange(LaneSum.X2));
        total = total.add(total.rearrange(LaneSum.X1));
        float s = total.lane(0);
        for (; i < n; i++) {
            float v = x.get(F32, xo + 4L * i) - shift;
            s = Math.fma(v, v, s);
        }
        return s;
    }
}
