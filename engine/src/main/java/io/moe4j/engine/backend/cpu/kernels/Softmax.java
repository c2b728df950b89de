package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 softmax over rows of {@code n} contiguous floats (router probabilities, attention weights) and
 * {@link #logSumExp} (the router z-loss).
 *
 * <p>Why it is shaped this way: the max is subtracted before {@code exp} so large logits cannot overflow, as torch
 * does. One pass finds the max, a second writes {@code exp(x − max)} to {@code out} while summing it (two vector
 * accumulators: {@code EXP}, an SVML call on x86, dominates), a third multiplies by {@code 1/sum} — so {@code out}
 * may be the same memory as {@code x} (in place), and no scratch is needed. Vectors never cross a method call (see
 * {@link Elementwise}).
 *
 * <p>Special values follow torch: a NaN anywhere makes the row NaN; a row that is all {@code −∞} gives NaN for
 * softmax and {@code −∞} for logSumExp; a {@code +∞} entry gives a NaN softmax row and {@code +∞} for logSumExp.
 */
public final class Softmax {
    private Softmax() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Softmax of one row of {@code n > 0} floats. */
    public static void softmax(MemorySegment x, long xOffset, MemorySegment out, long outOffset, int n) {
        float max = max(x, xOffset, n);
        float sum = expMinus(x, xOffset, max, out, outOffset, n);
        Elementwise.scale(out, outOffset, 1f / sum, out, outOffset, n);
    }

    /** Softmax of {@code rows} rows of {@code n > 0} floats; strides in bytes. */
    public static void softmax(MemorySegment x, long xOffset, long xRowStride, MemorySegment out, long outOffset,
                               long outRowStride, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            softmax(x, xOffset + r * xRowStride, out, outOffset + r * outRowStride, n);
        }
    }

    /** {@code log Σ exp(x[i])} of one row of {@code n > 0} floats, computed as {@code max + log Σ exp(x − max)}. */
    public static float logSumExp(MemorySegment x, long xOffset, int n) {
        float max = max(x, xOffset, n);
        if (Float.isInfinite(max)) return max; // all −∞ → −∞; any +∞ → +∞ (torch does the same)
        return max + (float) Math.log(sumExpMinus(x, xOffset, max, n));
    }

    /** Largest element of a row of {@code n > 0} floats (NaN if any is NaN). */
    public static float max(MemorySegment x, long xOffset, int n) {
        if (n <= 0) throw new IllegalArgumentException("empty row");
        FloatVector m0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), m1 = m0;
        int i = 0;
        for (int bound = n & -(2 * L); i < bound; i += 2 * L) {
            m0 = m0.max(FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, BO));
            m1 = m1.max(FloatVector.fromMemorySegment(F, x, xOffset + 4L * (i + L), BO));
        }
        for (int bound = n & -L; i < bound; i += L) {
            m0 = m0.max(FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, BO));
        }
        // Lane by lane rather than reduceLanes(MAX): some C2 compilations on AVX2 left that reduction to its boxing
        // Java fallback (1 KB of heap per call, caught intermittently by NoAllocationTest); lane() always compiles.
        FloatVector mv = m0.max(m1);
        float m = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < L; j++) m = Math.max(m, mv.lane(j));
        for (; i < n; i++) {
            m = Math.max(m, x.get(F32, xOffset + 4L * i));
        }
        return m;
    }

    /**
     * Writes {@code exp(x − max)} to {@code out} and returns its sum. One vector loop, not unrolled: every copy of
     * {@link VectorExp#exp} inlined into a method counts against C2's node budget, and past it C2 stops inlining the
     * Vector API calls, which then box every vector (seen as heap allocation per call).
     */
    private static float expMinus(MemorySegment x, long xOffset, float max, MemorySegment out, long outOffset, int n) {
        FloatVector s = FloatVector.zero(F);
        int i = 0;
        for (int bound = n & -L; i < bound; i += L) {
            FloatVector e = VectorExp.exp(FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, BO).sub(max));
            e.intoMemorySegment(out, outOffset + 4L * i, BO);
            s = s.add(e);
        }
        float sum = s.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float e = (float) Math.exp(x.get(F32, xOffset + 4L * i) - max);
            out.set(F32, outOffset + 4L * i, e);
            sum += e;
        }
        return sum;
    }

    /** {@code Σ exp(x − max)}, the same operations as {@link #expMinus} without the stores. */
    private static float sumExpMinus(MemorySegment x, long xOffset, float max, int n) {
        FloatVector s = FloatVector.zero(F);
        int i = 0;
        for (int bound = n & -L; i < bound; i += L) {
            s = s.add(VectorExp.exp(FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, BO).sub(max)));
        }
        float sum = s.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += (float) Math.exp(x.get(F32, xOffset + 4L * i) - max);
        }
        return sum;
    }
}
