package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.Gemv.F;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H1;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H2;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H4;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.LE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.X;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMV kernels for BF16 weights; see {@link Gemv} for the contract. The weights are read directly and widened in
 * registers, 16 at a time: loaded as 8 ints, each holding an even-indexed weight in its low half and the next
 * (odd) one in its high half. A bf16 being the upper half of its float32, the even weights become floats by a
 * left shift of 16 and the odd ones by clearing the low halves (a right then a left shift, which measured a
 * little faster than an AND with a broadcast mask): 3 operations per 16 weights, against 6 when widening 8
 * shorts at a time, which made the M = 1 kernel ~20% faster in compute. x is packed to match ({@link Gemv#packX}
 * with groups of 16: the 8 even elements, then the 8 odd ones), and each output's chain takes two fused
 * multiply-adds per 16 elements, even then odd; the scalar tail covers {@code K mod 16} elements.
 *
 * <p>{@code GemvBf16}, {@code GemvF16} and {@code GemvF32} have the same kernels and differ only in how weights
 * are loaded as floats. That load is written out in each kernel rather than called: C2 stops inlining ordinary
 * methods into a large method (NodeCountInliningCutoff), and a vector passed to or returned from a call that is
 * not inlined is boxed, a heap allocation per load (which made a first version 5x slower). For the same reason
 * no vector is passed to any helper method here. Keep the three files in sync; the loops around the kernels
 * are shared ({@link GemvLoops}). The M &gt; 1 K loops end on {@code j != k1} so that C2 does not unroll them
 * ({@link GemvF32} says why).
 */
final class GemvBf16 implements GemvKernels {
    /** Bytes per weight. */
    private static final long ES = 2;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final ValueLayout.OfShort W = ValueLayout.JAVA_SHORT_UNALIGNED;

    static final GemvBf16 INSTANCE = new GemvBf16();

    private GemvBf16() {}

    @Override
    public long bytesPerWeight() { return ES; }

    @Override
    public int kStep() { return 16; }

    /** Two weight rows at a time only for tiles of at most 2 rows: for more, the even/odd weights of two rows would take too many registers. */
    @Override
    public boolean pairs(int mt) { return mt <= 2; }

    @Override
    public void kb(int mt, boolean pair, float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                   float[] acc, int ao, int am) {
        if (pair) {
            switch (mt) {
                case 1 -> kb1x2(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
                case 2 -> kb2x2(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
                default -> throw new AssertionError(mt);
            }
            return;
        }
        switch (mt) {
            case 1 -> kb1x1(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
            case 2 -> kb2x1(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
            case 3 -> kb3x1(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
            case 4 -> kb4x1(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
            default -> throw new AssertionError(mt);
        }
    }

    @Override
    public float tail(MemorySegment x, long xo, MemorySegment w, long wo, int k0, int k, float s) {
        for (int j = k0; j < k; j++) s = Math.fma(x.get(X, xo + j * 4L), weight(w, wo + j * ES), s);
        return s;
    }

    /** One weight at byte offset {@code off}, as a float. */
    private static float weight(MemorySegment w, long off) {
        return Float.intBitsToFloat(w.get(W, off) << 16);
    }

    /** M = 1, the four weight rows at {@code w0 + r * wStep} (outputs at {@code yo + r * yStep}), whole K. */
    @Override
    public void k1x4(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, long wStep, int k,
                             int kv, MemorySegment y, long yo, long yStep) {
        long w1 = w0 + wStep, w2 = w1 + wStep, w3 = w2 + wStep;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < kv; j += 16) {
            long o = j * ES;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + o, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + o, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            IntVector t2 = IntVector.fromMemorySegment(I, w, w2 + o, LE);
            FloatVector e2 = t2.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o2 = t2.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            IntVector t3 = IntVector.fromMemorySegment(I, w, w3 + o, LE);
            FloatVector e3 = t3.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o3 = t3.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p = FloatVector.fromArray(F, xp, j);
            FloatVector po = FloatVector.fromArray(F, xp, j + 8);
            a0 = e0.fma(p, a0);
            a1 = e1.fma(p, a1);
            a2 = e2.fma(p, a2);
            a3 = e3.fma(p, a3);
            a0 = o0.fma(po, a0);
            a1 = o1.fma(po, a1);
            a2 = o2.fma(po, a2);
            a3 = o3.fma(po, a3);
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        a1 = a1.add(a1.rearrange(H4));
        a1 = a1.add(a1.rearrange(H2));
        a2 = a2.add(a2.rearrange(H4));
        a2 = a2.add(a2.rearrange(H2));
        a3 = a3.add(a3.rearrange(H4));
        a3 = a3.add(a3.rearrange(H2));
        y.set(X, yo, tail(x, xo, w, w0, kv, k, a0.add(a0.rearrange(H1)).lane(0)));
        y.set(X, yo + yStep, tail(x, xo, w, w1, kv, k, a1.add(a1.rearrange(H1)).lane(0)));
        y.set(X, yo + 2 * yStep, tail(x, xo, w, w2, kv, k, a2.add(a2.rearrange(H1)).lane(0)));
        y.set(X, yo + 3 * yStep, tail(x, xo, w, w3, kv, k, a3.add(a3.rearrange(H1)).lane(0)));
    }

    /** M = 1, one weight row, whole K. */
    @Override
    public void k1x1(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, int k, int kv,
                             MemorySegment y, long yo) {
        FloatVector a0 = FloatVector.zero(F);
        for (int j = 0; j < kv; j += 16) {
            long o = j * ES;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + o, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p = FloatVector.fromArray(F, xp, j);
            FloatVector po = FloatVector.fromArray(F, xp, j + 8);
            a0 = e0.fma(p, a0);
            a0 = o0.fma(po, a0);
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        y.set(X, yo, tail(x, xo, w, w0, kv, k, a0.add(a0.rearrange(H1)).lane(0)));
    }

    /**
     * M &gt; 1: 1 x row (a tile packed at {@code xp[p..]}) times weight rows {@code w0} and {@code w0 + wStep},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb1x2(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wStep;
        int ao1 = ao + am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        int pb = p - k0 * 1;
        for (int j = k0; j != k1; j += 16) {
            int q = pb + j * 1;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + j * ES, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            a10 = e1.fma(p0, a10);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = o0.fma(po0, a00);
            a10 = o1.fma(po0, a10);
        }
        a00.intoArray(acc, ao);
        a10.intoArray(acc, ao1);
    }

    /**
     * M &gt; 1: 2 x rows (a tile packed at {@code xp[p..]}) times weight rows {@code w0} and {@code w0 + wStep},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb2x2(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wStep;
        int ao1 = ao + am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        int pb = p - k0 * 2;
        for (int j = k0; j != k1; j += 16) {
            int q = pb + j * 2;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + j * ES, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            a10 = e1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 16);
            a01 = e0.fma(p1, a01);
            a11 = e1.fma(p1, a11);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = o0.fma(po0, a00);
            a10 = o1.fma(po0, a10);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = o0.fma(po1, a01);
            a11 = o1.fma(po1, a11);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
    }

    /**
     * M &gt; 1: 1 x row (a tile packed at {@code xp[p..]}) times weight row {@code w0},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb1x1(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        int pb = p - k0 * 1;
        for (int j = k0; j != k1; j += 16) {
            int q = pb + j * 1;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = o0.fma(po0, a00);
        }
        a00.intoArray(acc, ao);
    }

    /**
     * M &gt; 1: 2 x rows (a tile packed at {@code xp[p..]}) times weight row {@code w0},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb2x1(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        int pb = p - k0 * 2;
        for (int j = k0; j != k1; j += 16) {
            int q = pb + j * 2;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 16);
            a01 = e0.fma(p1, a01);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = o0.fma(po0, a00);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = o0.fma(po1, a01);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
    }

    /**
     * M &gt; 1: 3 x rows (a tile packed at {@code xp[p..]}) times weight row {@code w0},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb3x1(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        int pb = p - k0 * 3;
        for (int j = k0; j != k1; j += 16) {
            int q = pb + j * 3;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 16);
            a01 = e0.fma(p1, a01);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 32);
            a02 = e0.fma(p2, a02);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = o0.fma(po0, a00);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = o0.fma(po1, a01);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = o0.fma(po2, a02);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
    }

    /**
     * M &gt; 1: 4 x rows (a tile packed at {@code xp[p..]}) times weight row {@code w0},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb4x1(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        int pb = p - k0 * 4;
        for (int j = k0; j != k1; j += 16) {
            int q = pb + j * 4;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.lanewise(LSHR, 16).lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 16);
            a01 = e0.fma(p1, a01);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 32);
            a02 = e0.fma(p2, a02);
            FloatVector p3 = FloatVector.fromArray(F, xp, q + 48);
            a03 = e0.fma(p3, a03);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = o0.fma(po0, a00);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = o0.fma(po1, a01);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = o0.fma(po2, a02);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = o0.fma(po3, a03);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
    }
}
