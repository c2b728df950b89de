package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 element-wise arithmetic over {@code n} contiguous elements: residual adds, scaling, the MoE combine
 * ({@link #axpy}: {@code out += weight · expertOut}), fills, a sum and a dot product.
 *
 * <p>Why it is shaped this way: these are memory-bound loops, so each is one pass of {@link FloatVector} loads and
 * stores at byte offsets (any alignment) with a scalar tail, and nothing else. An output may be the very same
 * memory as an input (same segment and offset) for in-place use; partially overlapping ranges are not supported.
 * The reductions keep four independent accumulators so that the adds pipeline, then combine them in a fixed
 * order, so a result depends only on the data and {@code n}. As in every kernel class here, vectors never cross a
 * method call (no helper takes or returns one): a vector passed to a call C2 declines to inline would be boxed
 * on the heap at every iteration.
 *
 * <p><b>Float vectors are stored as longs</b> ({@code v.reinterpretAsLongs().intoMemorySegment(…)}, the same bytes
 * on the little-endian machines the engine runs on), in every kernel class here and in the block-format
 * dequantizers. Why: until C2 compiles it, a {@code reinterpretAsInts()} of a float vector anywhere in the process
 * runs the JDK's fallback, which stores the float vector into a heap {@code byte[]} segment through
 * {@code FloatVector.intoMemorySegment}; that method's type profile then holds two segment classes, and C2 compiles
 * every loop storing float vectors with a type check per store that it cannot hoist. Measured on the 2-core AVX2
 * machine: BF16 → F32 widening ran at 5.3 GB/s instead of 10.8 once the profile had been polluted, BF16 prefill
 * of 64 tokens on the benchmark model went from 92 to 112 tokens/s with long stores. Nothing in the engine
 * reinterprets a long vector, so {@code LongVector.intoMemorySegment} only ever sees native segments.
 */
public final class Elementwise {
    private Elementwise() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** {@code out[i] = a[i] + b[i]}. */
    public static void add(MemorySegment a, long aOffset, MemorySegment b, long bOffset,
                           MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector va = FloatVector.fromMemorySegment(F, a, aOffset + 4 * i, BO);
            FloatVector vb = FloatVector.fromMemorySegment(F, b, bOffset + 4 * i, BO);
            va.add(vb).reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, a.get(F32, aOffset + 4 * i) + b.get(F32, bOffset + 4 * i));
        }
    }

    /** {@code acc[i] += x[i]}. */
    public static void addInPlace(MemorySegment acc, long accOffset, MemorySegment x, long xOffset, long n) {
        add(acc, accOffset, x, xOffset, acc, accOffset, n);
    }

    /** {@code out[i] = a[i] · b[i]}. */
    public static void mul(MemorySegment a, long aOffset, MemorySegment b, long bOffset,
                           MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector va = FloatVector.fromMemorySegment(F, a, aOffset + 4 * i, BO);
            FloatVector vb = FloatVector.fromMemorySegment(F, b, bOffset + 4 * i, BO);
            va.mul(vb).reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, a.get(F32, aOffset + 4 * i) * b.get(F32, bOffset + 4 * i));
        }
    }

    /** {@code out[i] = s · x[i]} (in place when {@code out} is {@code x}). */
    public static void scale(MemorySegment x, long xOffset, float s, MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector.fromMemorySegment(F, x, xOffset + 4 * i, BO).mul(s)
                    .reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, s * x.get(F32, xOffset + 4 * i));
        }
    }

    /**
     * {@code out[i] += s · x[i]}, one rounding per element (a fused multiply-add, as {@link Math#fma}) in both the
     * vector body and the tail.
     */
    public static void axpy(float s, MemorySegment x, long xOffset, MemorySegment out, long outOffset, long n) {
        FloatVector vs = FloatVector.broadcast(F, s);
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector vx = FloatVector.fromMemorySegment(F, x, xOffset + 4 * i, BO);
            FloatVector vo = FloatVector.fromMemorySegment(F, out, outOffset + 4 * i, BO);
            vx.fma(vs, vo).reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            long o = outOffset + 4 * i;
            out.set(F32, o, Math.fma(s, x.get(F32, xOffset + 4 * i), out.get(F32, o)));
        }
    }

    /** {@code out[i] = value}. */
    public static void fill(MemorySegment out, long outOffset, float value, long n) {
        FloatVector v = FloatVector.broadcast(F, value);
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            v.reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, value);
        }
    }

    /** {@code out[i] = +0.0f}. */
    public static void zero(MemorySegment out, long outOffset, long n) {
        fill(out, outOffset, 0f, n);
    }

    /** {@code Σ a[i] · b[i]}, accumulated in float32 (fused multiply-adds, four vector accumulators). */
    public static float dot(MemorySegment a, long aOffset, MemorySegment b, long bOffset, long n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        long i = 0;
        for (long bound = n & -(4L * L); i < bound; i += 4L * L) {
            long ao = aOffset + 4 * i, bo = bOffset + 4 * i;
            s0 = FloatVector.fromMemorySegment(F, a, ao, BO).fma(FloatVector.fromMemorySegment(F, b, bo, BO), s0);
            s1 = FloatVector.fromMemorySegment(F, a, ao + 4L * L, BO)
                    .fma(FloatVector.fromMemorySegment(F, b, bo + 4L * L, BO), s1);
            s2 = FloatVector.fromMemorySegment(F, a, ao + 8L * L, BO)
                    .fma(FloatVector.fromMemorySegment(F, b, bo + 8L * L, BO), s2);
            s3 = FloatVector.fromMemorySegment(F, a, ao + 12L * L, BO)
                    .fma(FloatVector.fromMemorySegment(F, b, bo + 12L * L, BO), s3);
        }
        for (long bound = n & -L; i < bound; i += L) {
            s0 = FloatVector.fromMemorySegment(F, a, aOffset + 4 * i, BO)
                    .fma(FloatVector.fromMemorySegment(F, b, bOffset + 4 * i, BO), s0);
        }
        FloatVector total = s0.add(s1).add(s2.add(s3));
        if (LaneSum.L > 8) total = total.add(total.rearrange(LaneSum.X8));
        if (LaneSum.L > 4) total = total.add(total.rearrange(LaneSum.X4));
        if (LaneSum.L > 2) total = total.add(total.rearrange(LaneSum.X2));
        total = total.add(total.rearrange(LaneSum.X1));
        float sum = total.lane(0);
        for (; i < n; i++) {
            sum = Math.fma(a.get(F32, aOffset + 4 * i), b.get(F32, bOffset + 4 * i), sum);
        }
        return sum;
    }

    /** {@code Σ x[i]}, accumulated in float32 (four vector accumulators). */
    public static float sum(MemorySegment x, long xOffset, long n) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
        long i = 0;
        for (long bound = n & -(4L * L); i < bound; i += 4L * L) {
            long xo = xOffset + 4 * i;
            s0 = s0.add(FloatVector.fromMemorySegment(F, x, xo, BO));
            s1 = s1.add(FloatVector.fromMemorySegment(F, x, xo + 4L * L, BO));
            s2 = s2.add(FloatVector.fromMemorySegment(F, x, xo + 8L * L, BO));
            s3 = s3.add(FloatVector.fromMemorySegment(F, x, xo + 12L * L, BO));
        }
        for (long bound = n & -L; i < bound; i += L) {
            s0 = s0.add(FloatVector.fromMemorySegment(F, x, xOffset + 4 * i, BO));
        }
        FloatVector total = s0.add(s1).add(s2.add(s3));
        if (LaneSum.L > 8) total = total.add(total.rearrange(LaneSum.X8));
        if (LaneSum.L > 4) total = total.add(total.rearrange(LaneSum.X4));
        if (LaneSum.L > 2) total = total.add(total.rearrange(LaneSum.X2));
        total = total.add(total.rearrange(LaneSum.X1));
        float sum = total.lane(0);
        for (; i < n; i++) {
            sum += x.get(F32, xOffset + 4 * i);
        }
        return sum;
    }
}
