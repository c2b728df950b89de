package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.Gemv.F;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H1;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H2;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H4;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.LE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.TILE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.X;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * GEMV kernels for F32 weights; see {@link Gemv} for the contract.
 *
 * <p>{@code GemvBf16}, {@code GemvF16} and {@code GemvF32} have the same kernels and differ only in how weights
 * are loaded as floats. That load is written out in each kernel rather than called: C2 stops inlining ordinary
 * methods into a large method (NodeCountInliningCutoff), and a vector passed to or returned from a call that is
 * not inlined is boxed, a heap allocation per load (which made a first version 5x slower). For the same reason
 * no vector is passed to any helper method here. Keep the three files in sync; the loops around the kernels
 * are shared ({@link GemvLoops}).
 *
 * <p>The K loops of the M &gt; 1 tiles end on {@code j != k1}, not {@code j < k1} ({@code k1 - k0} is a multiple
 * of the step): C2 does not unroll a loop it cannot count, and unrolled, the 4x2 tile's 8 accumulators and the
 * loads C2 hoists from the later copies no longer fit in AVX2's 16 registers, so accumulators were spilled to
 * the stack inside the loop. Measured on the 2-core AVX2 machine: the 4x2 F32 tile in L1 2.0x faster (31.7 →
 * 64 GFLOP/s, one thread); a whole F32 product 7168x2048 on 2 threads M = 4 2.79 → 2.49 ms, M = 8 4.17 → 3.52
 * ms; BF16 M = 6 3.24 → 2.63 ms. The M = 1 kernels keep their counted loops (they are not unrolled that far).
 */
final class GemvF32 implements GemvKernels {
    /** Bytes per weight. */
    private static final long ES = 4;
    private static final ValueLayout.OfFloat W = ValueLayout.JAVA_FLOAT_UNALIGNED;

    static final GemvF32 INSTANCE = new GemvF32();

    private GemvF32() {}

    @Override
    public long bytesPerWeight() { return ES; }

    @Override
    public int kStep() { return 8; }

    /** Every tile takes two weight rows at a time. */
    @Override
    public boolean pairs(int mt) { return mt <= TILE; }

    @Override
    public void kb(int mt, boolean pair, float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                   float[] acc, int ao, int am) {
        if (pair) {
            switch (mt) {
                case 1 -> kb1x2(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
                case 2 -> kb2x2(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
                case 3 -> kb3x2(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
                case 4 -> kb4x2(xp, p, w, w0, wStep, k0, k1, acc, ao, am);
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
        return w.get(W, off);
    }

    /** M = 1, the four weight rows at {@code w0 + r * wStep} (outputs at {@code yo + r * yStep}), whole K. */
    @Override
    public void k1x4(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, long wStep, int k,
                             int kv, MemorySegment y, long yo, long yStep) {
        long w1 = w0 + wStep, w2 = w1 + wStep, w3 = w2 + wStep;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < kv; j += 8) {
            long o = j * ES;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE);
            FloatVector e1 = FloatVector.fromMemorySegment(F, w, w1 + o, LE);
            FloatVector e2 = FloatVector.fromMemorySegment(F, w, w2 + o, LE);
            FloatVector e3 = FloatVector.fromMemorySegment(F, w, w3 + o, LE);
            FloatVector p = FloatVector.fromArray(F, xp, j);
            a0 = e0.fma(p, a0);
            a1 = e1.fma(p, a1);
            a2 = e2.fma(p, a2);
            a3 = e3.fma(p, a3);
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
        for (int j = 0; j < kv; j += 8) {
            long o = j * ES;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE);
            FloatVector p = FloatVector.fromArray(F, xp, j);
            a0 = e0.fma(p, a0);
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
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 1;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector e1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            a10 = e1.fma(p0, a10);
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
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 2;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector e1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            a10 = e1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = e0.fma(p1, a01);
            a11 = e1.fma(p1, a11);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
    }

    /**
     * M &gt; 1: 3 x rows (a tile packed at {@code xp[p..]}) times weight rows {@code w0} and {@code w0 + wStep},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb3x2(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wStep;
        int ao1 = ao + am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        FloatVector a12 = FloatVector.fromArray(F, acc, ao1 + 16);
        int pb = p - k0 * 3;
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 3;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector e1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            a10 = e1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = e0.fma(p1, a01);
            a11 = e1.fma(p1, a11);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 16);
            a02 = e0.fma(p2, a02);
            a12 = e1.fma(p2, a12);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
        a12.intoArray(acc, ao1 + 16);
    }

    /**
     * M &gt; 1: 4 x rows (a tile packed at {@code xp[p..]}) times weight rows {@code w0} and {@code w0 + wStep},
     * elements {@code [k0, k1)}, continuing the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb4x2(float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wStep;
        int ao1 = ao + am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        FloatVector a12 = FloatVector.fromArray(F, acc, ao1 + 16);
        FloatVector a13 = FloatVector.fromArray(F, acc, ao1 + 24);
        int pb = p - k0 * 4;
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 4;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector e1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            a10 = e1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = e0.fma(p1, a01);
            a11 = e1.fma(p1, a11);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 16);
            a02 = e0.fma(p2, a02);
            a12 = e1.fma(p2, a12);
            FloatVector p3 = FloatVector.fromArray(F, xp, q + 24);
            a03 = e0.fma(p3, a03);
            a13 = e1.fma(p3, a13);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
        a12.intoArray(acc, ao1 + 16);
        a13.intoArray(acc, ao1 + 24);
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
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 1;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
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
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 2;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = e0.fma(p1, a01);
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
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 3;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = e0.fma(p1, a01);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 16);
            a02 = e0.fma(p2, a02);
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
        for (int j = k0; j != k1; j += 8) {
            int q = pb + j * 4;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = e0.fma(p0, a00);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = e0.fma(p1, a01);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 16);
            a02 = e0.fma(p2, a02);
            FloatVector p3 = FloatVector.fromArray(F, xp, q + 24);
            a03 = e0.fma(p3, a03);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
    }
}
