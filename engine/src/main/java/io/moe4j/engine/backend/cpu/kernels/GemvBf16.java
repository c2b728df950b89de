package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.Gemv.F;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H1;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H2;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H4;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.LE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.X;
import static jdk.incubator.vector.VectorOperators.LSHL;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMV kernels for BF16 weights; see {@link Gemv} for the contract. The weights are read directly and widened in
 * registers: a bf16 is the upper half of its float32, so the even weight of an int lane becomes a float by a
 * left shift of 16 and the odd one by clearing the low half.
 *
 * <p>The 16-bit kernels take 16 weights per step as 8 ints, each holding an even-indexed weight in its low half
 * and the next (odd) one in its high half, and widen both halves in place; x is packed to match
 * ({@link Gemv#packX}: the 8 even-indexed elements of each group of 16, then the 8 odd ones). So every output
 * is one chain of 8-lane fused multiply-adds, two per 16 elements (even then odd), then a fixed tree sum of the
 * 8 lanes, then the scalar tail of {@code K mod 16} elements.
 *
 * <p>{@code GemvBf16}, {@code GemvF16} and {@code GemvF32} have the same structure and differ in how weights are
 * loaded. That load is written out in each kernel rather than called: C2 stops inlining ordinary methods into a
 * large method (NodeCountInliningCutoff), and a vector passed to or returned from a call that is not inlined is
 * boxed, a heap allocation per load. For the same reason no vector is passed to a helper method here.
 */
final class GemvBf16 {
    private GemvBf16() {}

    /** Bytes per weight. */
    private static final long ES = 2;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final ValueLayout.OfShort W = ValueLayout.JAVA_SHORT_UNALIGNED;

    /**
     * Rows {@code [nStart, nEnd)} of {@code y}; arguments already checked by {@link Gemv}, offsets and strides in
     * bytes, {@code xp} = x packed by {@link Gemv#packX} with groups of 16.
     *
     * <p>M = 1: weight rows 4 at a time ({@code k1x4}): 4 independent chains, and each x load serves 4 rows.
     *
     * <p>M &gt; 1: each weight vector is converted once and used for up to 8 x rows ({@code kbMx1}, one accumulator
     * register per x row), two weight rows at a time when there are at most 4 x rows ({@code kbMx2}), so that at
     * least 4 chains are in flight. To keep those x loads in L1, K is cut into blocks of about 16 KB of x; a group
     * of {@value #GROUP} weight rows goes through one block at a time, the accumulators waiting in a small
     * per-thread array between blocks. Storing and reloading them is exact, so every output is still the same
     * chain as in the M = 1 kernels: results depend neither on M, nor on how the rows are split into chunks.
     */
    static void rows(MemorySegment x, long xOff, int m, long xStride, float[] xp, MemorySegment w, long wOff, int k,
                     MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        long wRow = k * ES;
        int kv = k & -16;
        if (m == 1) {
            int n = nStart;
            for (; n + 4 <= nEnd; n += 4) k1x4(xp, x, xOff, w, wOff + n * wRow, wRow, k, kv, y, yOff + n * 4L);
            for (; n < nEnd; n++) k1x1(xp, x, xOff, w, wOff + n * wRow, wRow, k, kv, y, yOff + n * 4L);
            return;
        }
        int kBlock = Gemv.kBlock(m) & -16;
        float[] acc = Gemv.accumulators(GROUP * 8 * m);
        for (int n = nStart; n < nEnd; n += GROUP) {
            int g = Math.min(GROUP, nEnd - n);
            java.util.Arrays.fill(acc, 0, g * m * 8, 0f);
            for (int kb = 0; kb < kv; kb += kBlock) {
                int kbEnd = Math.min(kb + kBlock, kv);
                for (int i = 0; i < m; i += 8) {
                    int mt = Math.min(8, m - i), p = i * kv + kb * mt;
                    for (int r = 0; r < g; ) {
                        long wo = wOff + (n + r) * wRow;
                        int ao = (r * m + i) * 8;
                        if (mt <= 4 && r + 2 <= g) {
                            switch (mt) {
                                case 1 -> kb1x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 2 -> kb2x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 3 -> kb3x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 4 -> kb4x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                default -> throw new AssertionError(mt);
                            }
                            r += 2;
                        } else {
                            switch (mt) {
                                case 1 -> kb1x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 2 -> kb2x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 3 -> kb3x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 4 -> kb4x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 5 -> kb5x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 6 -> kb6x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 7 -> kb7x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 8 -> kb8x1(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                default -> throw new AssertionError(mt);
                            }
                            r++;
                        }
                    }
                }
            }
            for (int r = 0; r < g; r++) {
                long wo = wOff + (n + r) * wRow;
                for (int i = 0; i < m; i++) {
                    float s = Gemv.laneSum(acc, (r * m + i) * 8);
                    y.set(X, yOff + i * yStride + (n + r) * 4L, tail(x, xOff + i * xStride, w, wo, kv, k, s));
                }
            }
        }
    }

    /** Weight rows per group in the M &gt; 1 path. */
    private static final int GROUP = 4;

    /** Scalar tail of one dot product: elements {@code [k0, k)} added to {@code s}, the sum of the vector part. */
    private static float tail(MemorySegment x, long xo, MemorySegment w, long wo, int k0, int k, float s) {
        for (int j = k0; j < k; j++) s = Math.fma(x.get(X, xo + j * 4L), weight(w, wo + j * ES), s);
        return s;
    }

    /** One weight at byte offset {@code off}, as a float. */
    private static float weight(MemorySegment w, long off) {
        return Float.intBitsToFloat(w.get(W, off) << 16);
    }

    /** M = 1: four consecutive weight rows, whole K. */
    private static void k1x4(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, long wRow, int k,
                             int kv, MemorySegment y, long yo) {
        long w1 = w0 + wRow, w2 = w1 + wRow, w3 = w2 + wRow;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0; j < kv; j += 16) {
            long o = j * ES;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + o, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + o, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.and(0xffff0000).reinterpretAsFloats();
            IntVector t2 = IntVector.fromMemorySegment(I, w, w2 + o, LE);
            FloatVector e2 = t2.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o2 = t2.and(0xffff0000).reinterpretAsFloats();
            IntVector t3 = IntVector.fromMemorySegment(I, w, w3 + o, LE);
            FloatVector e3 = t3.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o3 = t3.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe = FloatVector.fromArray(F, xp, j);
            FloatVector po = FloatVector.fromArray(F, xp, j + 8);
            a0 = e0.fma(pe, a0);
            a0 = o0.fma(po, a0);
            a1 = e1.fma(pe, a1);
            a1 = o1.fma(po, a1);
            a2 = e2.fma(pe, a2);
            a2 = o2.fma(po, a2);
            a3 = e3.fma(pe, a3);
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
        y.set(X, yo + 4, tail(x, xo, w, w1, kv, k, a1.add(a1.rearrange(H1)).lane(0)));
        y.set(X, yo + 8, tail(x, xo, w, w2, kv, k, a2.add(a2.rearrange(H1)).lane(0)));
        y.set(X, yo + 12, tail(x, xo, w, w3, kv, k, a3.add(a3.rearrange(H1)).lane(0)));
    }

    /** M = 1: one weight row, whole K. */
    private static void k1x1(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, long wRow, int k,
                             int kv, MemorySegment y, long yo) {
        FloatVector a0 = FloatVector.zero(F);
        for (int j = 0; j < kv; j += 16) {
            long o = j * ES;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + o, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe = FloatVector.fromArray(F, xp, j);
            FloatVector po = FloatVector.fromArray(F, xp, j + 8);
            a0 = e0.fma(pe, a0);
            a0 = o0.fma(po, a0);
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        y.set(X, yo, tail(x, xo, w, w0, kv, k, a0.add(a0.rearrange(H1)).lane(0)));
    }

    /**
     * M &gt; 1: 1 x row (packed tile at {@code xp[p..]}), two consecutive weight rows, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb1x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
        int ao1 = ao + am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        int pb = p - k0 * 1;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 1;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + j * ES, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            a10 = e1.fma(pe0, a10);
            a10 = o1.fma(po0, a10);
        }
        a00.intoArray(acc, ao);
        a10.intoArray(acc, ao1);
    }

    /**
     * M &gt; 1: 2 x rows (packed tile at {@code xp[p..]}), two consecutive weight rows, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb2x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
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
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + j * ES, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            a10 = e1.fma(pe0, a10);
            a10 = o1.fma(po0, a10);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            a11 = e1.fma(pe1, a11);
            a11 = o1.fma(po1, a11);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
    }

    /**
     * M &gt; 1: 3 x rows (packed tile at {@code xp[p..]}), two consecutive weight rows, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb3x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
        int ao1 = ao + am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        FloatVector a12 = FloatVector.fromArray(F, acc, ao1 + 16);
        int pb = p - k0 * 3;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 3;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + j * ES, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            a10 = e1.fma(pe0, a10);
            a10 = o1.fma(po0, a10);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            a11 = e1.fma(pe1, a11);
            a11 = o1.fma(po1, a11);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            a12 = e1.fma(pe2, a12);
            a12 = o1.fma(po2, a12);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
        a12.intoArray(acc, ao1 + 16);
    }

    /**
     * M &gt; 1: 4 x rows (packed tile at {@code xp[p..]}), two consecutive weight rows, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb4x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
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
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 4;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            IntVector t1 = IntVector.fromMemorySegment(I, w, w1 + j * ES, LE);
            FloatVector e1 = t1.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o1 = t1.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            a10 = e1.fma(pe0, a10);
            a10 = o1.fma(po0, a10);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            a11 = e1.fma(pe1, a11);
            a11 = o1.fma(po1, a11);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            a12 = e1.fma(pe2, a12);
            a12 = o1.fma(po2, a12);
            FloatVector pe3 = FloatVector.fromArray(F, xp, q + 48);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = e0.fma(pe3, a03);
            a03 = o0.fma(po3, a03);
            a13 = e1.fma(pe3, a13);
            a13 = o1.fma(po3, a13);
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
     * M &gt; 1: 1 x row (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb1x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        int pb = p - k0 * 1;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 1;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
        }
        a00.intoArray(acc, ao);
    }

    /**
     * M &gt; 1: 2 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb2x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        int pb = p - k0 * 2;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 2;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
    }

    /**
     * M &gt; 1: 3 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb3x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        int pb = p - k0 * 3;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 3;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
    }

    /**
     * M &gt; 1: 4 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb4x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
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
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            FloatVector pe3 = FloatVector.fromArray(F, xp, q + 48);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = e0.fma(pe3, a03);
            a03 = o0.fma(po3, a03);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
    }

    /**
     * M &gt; 1: 5 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb5x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a04 = FloatVector.fromArray(F, acc, ao + 32);
        int pb = p - k0 * 5;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 5;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            FloatVector pe3 = FloatVector.fromArray(F, xp, q + 48);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = e0.fma(pe3, a03);
            a03 = o0.fma(po3, a03);
            FloatVector pe4 = FloatVector.fromArray(F, xp, q + 64);
            FloatVector po4 = FloatVector.fromArray(F, xp, q + 72);
            a04 = e0.fma(pe4, a04);
            a04 = o0.fma(po4, a04);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a04.intoArray(acc, ao + 32);
    }

    /**
     * M &gt; 1: 6 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb6x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a04 = FloatVector.fromArray(F, acc, ao + 32);
        FloatVector a05 = FloatVector.fromArray(F, acc, ao + 40);
        int pb = p - k0 * 6;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 6;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            FloatVector pe3 = FloatVector.fromArray(F, xp, q + 48);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = e0.fma(pe3, a03);
            a03 = o0.fma(po3, a03);
            FloatVector pe4 = FloatVector.fromArray(F, xp, q + 64);
            FloatVector po4 = FloatVector.fromArray(F, xp, q + 72);
            a04 = e0.fma(pe4, a04);
            a04 = o0.fma(po4, a04);
            FloatVector pe5 = FloatVector.fromArray(F, xp, q + 80);
            FloatVector po5 = FloatVector.fromArray(F, xp, q + 88);
            a05 = e0.fma(pe5, a05);
            a05 = o0.fma(po5, a05);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a04.intoArray(acc, ao + 32);
        a05.intoArray(acc, ao + 40);
    }

    /**
     * M &gt; 1: 7 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb7x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a04 = FloatVector.fromArray(F, acc, ao + 32);
        FloatVector a05 = FloatVector.fromArray(F, acc, ao + 40);
        FloatVector a06 = FloatVector.fromArray(F, acc, ao + 48);
        int pb = p - k0 * 7;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 7;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            FloatVector pe3 = FloatVector.fromArray(F, xp, q + 48);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = e0.fma(pe3, a03);
            a03 = o0.fma(po3, a03);
            FloatVector pe4 = FloatVector.fromArray(F, xp, q + 64);
            FloatVector po4 = FloatVector.fromArray(F, xp, q + 72);
            a04 = e0.fma(pe4, a04);
            a04 = o0.fma(po4, a04);
            FloatVector pe5 = FloatVector.fromArray(F, xp, q + 80);
            FloatVector po5 = FloatVector.fromArray(F, xp, q + 88);
            a05 = e0.fma(pe5, a05);
            a05 = o0.fma(po5, a05);
            FloatVector pe6 = FloatVector.fromArray(F, xp, q + 96);
            FloatVector po6 = FloatVector.fromArray(F, xp, q + 104);
            a06 = e0.fma(pe6, a06);
            a06 = o0.fma(po6, a06);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a04.intoArray(acc, ao + 32);
        a05.intoArray(acc, ao + 40);
        a06.intoArray(acc, ao + 48);
    }

    /**
     * M &gt; 1: 8 x rows (packed tile at {@code xp[p..]}), one weight row, elements
     * {@code [k0, k1)}: continues the accumulators at {@code acc[ao..]} (weight row r, x row i at
     * {@code ao + (r * am + i) * 8}).
     */
    private static void kb8x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a04 = FloatVector.fromArray(F, acc, ao + 32);
        FloatVector a05 = FloatVector.fromArray(F, acc, ao + 40);
        FloatVector a06 = FloatVector.fromArray(F, acc, ao + 48);
        FloatVector a07 = FloatVector.fromArray(F, acc, ao + 56);
        int pb = p - k0 * 8;
        for (int j = k0; j < k1; j += 16) {
            int q = pb + j * 8;
            IntVector t0 = IntVector.fromMemorySegment(I, w, w0 + j * ES, LE);
            FloatVector e0 = t0.lanewise(LSHL, 16).reinterpretAsFloats();
            FloatVector o0 = t0.and(0xffff0000).reinterpretAsFloats();
            FloatVector pe0 = FloatVector.fromArray(F, xp, q);
            FloatVector po0 = FloatVector.fromArray(F, xp, q + 8);
            a00 = e0.fma(pe0, a00);
            a00 = o0.fma(po0, a00);
            FloatVector pe1 = FloatVector.fromArray(F, xp, q + 16);
            FloatVector po1 = FloatVector.fromArray(F, xp, q + 24);
            a01 = e0.fma(pe1, a01);
            a01 = o0.fma(po1, a01);
            FloatVector pe2 = FloatVector.fromArray(F, xp, q + 32);
            FloatVector po2 = FloatVector.fromArray(F, xp, q + 40);
            a02 = e0.fma(pe2, a02);
            a02 = o0.fma(po2, a02);
            FloatVector pe3 = FloatVector.fromArray(F, xp, q + 48);
            FloatVector po3 = FloatVector.fromArray(F, xp, q + 56);
            a03 = e0.fma(pe3, a03);
            a03 = o0.fma(po3, a03);
            FloatVector pe4 = FloatVector.fromArray(F, xp, q + 64);
            FloatVector po4 = FloatVector.fromArray(F, xp, q + 72);
            a04 = e0.fma(pe4, a04);
            a04 = o0.fma(po4, a04);
            FloatVector pe5 = FloatVector.fromArray(F, xp, q + 80);
            FloatVector po5 = FloatVector.fromArray(F, xp, q + 88);
            a05 = e0.fma(pe5, a05);
            a05 = o0.fma(po5, a05);
            FloatVector pe6 = FloatVector.fromArray(F, xp, q + 96);
            FloatVector po6 = FloatVector.fromArray(F, xp, q + 104);
            a06 = e0.fma(pe6, a06);
            a06 = o0.fma(po6, a06);
            FloatVector pe7 = FloatVector.fromArray(F, xp, q + 112);
            FloatVector po7 = FloatVector.fromArray(F, xp, q + 120);
            a07 = e0.fma(pe7, a07);
            a07 = o0.fma(po7, a07);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a04.intoArray(acc, ao + 32);
        a05.intoArray(acc, ao + 40);
        a06.intoArray(acc, ao + 48);
        a07.intoArray(acc, ao + 56);
    }
}
