package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
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
        return max + (float) Math.log(expMinus(x, xOffset, max, null, 0, n));
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
     * Writes {@code exp(x − max)} to {@code out} (when out is not null) and returns its sum. The exp of
     * {@link VectorExp} is written out in the loop, not called: a vector-typed helper that other kernels made hot
     * gets compiled on its own, C2 then refuses to inline it here ("already compiled into a big method"), and every
     * vector crossing that call is boxed (1 KB of heap per call, caught by NoAllocationTest).
     */
    private static float expMinus(MemorySegment x, long xOffset, float max, MemorySegment out, long outOffset, int n) {
        FloatVector s = FloatVector.zero(F);
        int i = 0;
        for (int bound = n & -L; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, BO).sub(max);
            FloatVector c = v.max(VectorExp.MIN_X).min(VectorExp.MAX_X);
            FloatVector shifted = c.fma(VectorExp.LOG2E, VectorExp.ROUND);
            FloatVector k = shifted.sub(VectorExp.ROUND);
            FloatVector r = c.sub(k.mul(VectorExp.LN2_HI)).sub(k.mul(VectorExp.LN2_LO));
            FloatVector p = r.fma(VectorExp.P0, VectorExp.P1).mul(r).add(VectorExp.P2).mul(r).add(VectorExp.P3)
                    .mul(r).add(VectorExp.P4).mul(r).add(VectorExp.P5);
            FloatVector er = p.fma(r.mul(r), r).add(1f);
            IntVector bits = shifted.reinterpretAsInts().sub(VectorExp.ROUND_BITS).add(127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = er.mul(bits.reinterpretAsFloats()).blend(0f, v.compare(VectorOperators.LT, VectorExp.MIN_X));
            if (out != null) e.reinterpretAsLongs().intoMemorySegment(out, outOffset + 4L * i, BO);
            s = s.add(e);
        }
        if (LaneSum.L > 8) s = s.add(s.rearrange(LaneSum.X8));
        if (LaneSum.L > 4) s = s.add(s.rearrange(LaneSum.X4));
        if (LaneSum.L > 2) s = s.add(s.rearrange(LaneSum.X2));
        s = s.add(s.rearrange(LaneSum.X1));
        float sum = s.lane(0);
        for (; i < n; i++) {
            float e = (float) Math.exp(x.get(F32, xOffset + 4L * i) - max);
            if (out != null) out.set(F32, outOffset + 4L * i, e);
            sum += e;
        }
        return sum;
    }
}
