package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.Gemv.F;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H1;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H2;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H4;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.LE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.TILE;
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
 * no vector is passed to any helper method here. Keep the three files in sync.
 */
final class GemvBf16 {
    private GemvBf16() {}

    /** Bytes per weight. */
    private static final long ES = 2;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final ValueLayout.OfShort W = ValueLayout.JAVA_SHORT_UNALIGNED;

    /**
     * Rows {@code [nStart, nEnd)} of {@code y}: arguments already checked by {@link Gemv}, offsets and strides in
     * bytes, {@code xp} = x as packed by {@link Gemv#packX} with groups of 16.
     *
     * <p>M = 1: {@code k1x4} takes 4 weight rows at a time, giving 4 independent FMA chains that share each x load.
     * The 4 rows are a quarter of the range apart, so the 4 read streams are far apart in memory: adjacent rows
     * (8 KB apart for K = 4096 in BF16) slowed each other down, costing 15-25% of the bandwidth.
     *
     * <p>M &gt; 1: weight rows in groups of {@value #GROUP} (again a quarter of the range apart); x rows in tiles of
     * up to {@value Gemv#TILE}, each weight vector being converted once per tile and used for all its rows, and two
     * weight rows at a time when the tile has at most 2 rows ({@code kbMx2}, 2M independent chains;
     * for more, the even/odd weights of two rows would take too many registers). To keep the tile's x in L1, K is
     * cut into blocks of about 16 KB of x: the group goes through one block at a time, its accumulators waiting in
     * a small per-thread array between blocks.
     *
     * <p>Every output is computed by the same sequence of operations whichever kernel handles it: one 8-lane FMA
     * chain over the first {@code K - K mod 16} elements in order (storing and reloading the accumulators
     * between blocks is exact), a fixed tree sum of the 8 lanes, then the scalar tail. So results depend neither on
     * how the rows are split into chunks (or threads) nor on M.
     */
    static void rows(MemorySegment x, long xOff, int m, long xStride, float[] xp, MemorySegment w, long wOff, int k,
                     MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        long wRow = k * ES;
        int kv = k & -16;
        int q = (nEnd - nStart) / GROUP, rest = nStart + q * GROUP;
        if (m == 1) {
            for (int n = nStart; n < nStart + q; n++) {
                k1x4(xp, x, xOff, w, wOff + n * wRow, q * wRow, k, kv, y, yOff + n * 4L, q * 4L);
            }
            for (int n = rest; n < nEnd; n++) k1x1(xp, x, xOff, w, wOff + n * wRow, k, kv, y, yOff + n * 4L);
            return;
        }
        for (int t = 0; t < q; t++) {
            group(x, xOff, m, xStride, xp, w, wOff, k, kv, y, yOff, yStride, nStart + t, q, GROUP);
        }
        if (rest < nEnd) group(x, xOff, m, xStride, xp, w, wOff, k, kv, y, yOff, yStride, rest, 1, nEnd - rest);
    }

    /** Weight rows per group. */
    private static final int GROUP = 4;

    /** M &gt; 1: the {@code g} weight rows {@code n0 + r * step}, {@code r < g}. */
    private static void group(MemorySegment x, long xOff, int m, long xStride, float[] xp, MemorySegment w, long wOff,
                              int k, int kv, MemorySegment y, long yOff, long yStride, int n0, int step, int g) {
        long wRow = k * ES, wStep = step * wRow;
        int kBlock = Gemv.kBlock(m) & -16;
        float[] acc = Gemv.accumulators(GROUP * 8 * m);
        java.util.Arrays.fill(acc, 0, g * m * 8, 0f);
        for (int kb = 0; kb < kv; kb += kBlock) {
            int kbEnd = Math.min(kb + kBlock, kv);
            for (int i = 0; i < m; i += TILE) {
                int mt = Math.min(TILE, m - i), p = i * kv + kb * mt;
                for (int r = 0; r < g; ) {
                    long wo = wOff + (n0 + (long) r * step) * wRow;
                    int ao = (r * m + i) * 8;
                    if (mt <= 2 && r + 2 <= g) {
                        switch (mt) {
                            case 1 -> kb1x2(xp, p, w, wo, wStep, kb, kbEnd, acc, ao, m);
                            case 2 -> kb2x2(xp, p, w, wo, wStep, kb, kbEnd, acc, ao, m);
                            default -> throw new AssertionError(mt);
                        }
                        r += 2;
                    } else {
                        switch (mt) {
                            case 1 -> kb1x1(xp, p, w, wo, wStep, kb, kbEnd, acc, ao, m);
                            case 2 -> kb2x1(xp, p, w, wo, wStep, kb, kbEnd, acc, ao, m);
                            case 3 -> kb3x1(xp, p, w, wo, wStep, kb, kbEnd, acc, ao, m);
                            case 4 -> kb4x1(xp, p, w, wo, wStep, kb, kbEnd, acc, ao, m);
                            default -> throw new AssertionError(mt);
                        }
                        r++;
                    }
                }
            }
        }
        for (int r = 0; r < g; r++) {
            long n = n0 + (long) r * step, wo = wOff + n * wRow;
            for (int i = 0; i < m; i++) {
                float s = Gemv.laneSum(acc, (r * m + i) * 8);
                y.set(X, yOff + i * yStride + n * 4L, tail(x, xOff + i * xStride, w, wo, kv, k, s));
            }
        }
    }

    /** Scalar tail of one dot product: elements {@code [k0, k)} added to {@code s}, the sum of the vector part. */
    private static float tail(MemorySegment x, long xo, MemorySegment w, long wo, int k0, int k, float s) {
        for (int j = k0; j < k; j++) s = Math.fma(x.get(X, xo + j * 4L), weight(w, wo + j * ES), s);
        return s;
    }

    /** One weight at byte offset {@code off}, as a float. */
    private static float weight(MemorySegment w, long off) {
        return Float.intBitsToFloat(w.get(W, off) << 16);
    }

    /** M = 1, the four weight rows at {@code w0 + r * wStep} (outputs at {@code yo + r * yStep}), whole K. */
    private static void k1x4(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, long wStep, int k,
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
    private static void k1x1(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, int k, int kv,
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
        for (int j = k0; j < k1; j += 16) {
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
        for (int j = k0; j < k1; j += 16) {
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
        for (int j = k0; j < k1; j += 16) {
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
        for (int j = k0; j < k1; j += 16) {
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
        for (int j = k0; j < k1; j += 16) {
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
        for (int j = k0; j < k1; j += 16) {
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
