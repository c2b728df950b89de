package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.Gemv.F;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H1;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H2;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.H4;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.LE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.X;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;

/**
 * GEMV micro-kernels for F32 weights; see {@link Gemv} for the contract.
 *
 * <p>{@code GemvBf16}, {@code GemvF16} and {@code GemvF32} have the same kernels, differing only in how 8
 * weights are loaded as a float vector; that load is written out in each kernel rather than called, because C2
 * stops inlining ordinary methods into a large method (NodeCountInliningCutoff), and a vector passed to or
 * returned from a call that is not inlined is boxed: a heap allocation per load. For the same reason nothing
 * here passes vectors to a helper method. Keep the three files in sync.
 */
final class GemvF32 {
    private GemvF32() {}

    /** Bytes per weight. */
    private static final long ES = 4;
    private static final ValueLayout.OfFloat W = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * Rows {@code [nStart, nEnd)} of {@code y}; arguments already checked by {@link Gemv}. Offsets and strides in
     * bytes.
     *
     * <p>Every output is computed with the same sequence of operations whichever path handles it: one 8-lane
     * fused multiply-add chain over the first {@code K - K mod 8} elements, a fixed tree sum of the 8 lanes, then
     * the scalar tail. So results depend neither on how the rows are split into chunks nor on M.
     *
     * <p>M = 1: weight rows 4 at a time ({@code k1x4}), each x load serving 4 rows; x streams from L2 at worst.
     * M > 1: each weight vector is converted once and used for up to 8 x rows ({@code kb2}..{@code kb8}, one
     * accumulator register per x row, two weight rows at a time when M <= 4 so that there are at least 4
     * independent chains). x is first copied to a per-thread array, each tile of up to 8 rows in
     * {@code [K/8][rows][8]} order, so that a kernel reaches all its x rows from one index. To keep those x loads in L1, K is cut into blocks of
     * about 16 KB of x; a group of 4 weight rows goes through one block at a time, the accumulators waiting in a
     * small per-thread array between blocks (storing and reloading them is exact, so the chain is the same as
     * without blocks).
     */
    static void rows(MemorySegment x, long xOff, int m, long xStride, MemorySegment w, long wOff, int k,
                     MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        long wRow = k * ES;
        if (m == 1) {
            int n = nStart;
            for (; n + 4 <= nEnd; n += 4) k1x4(x, xOff, w, wOff + n * wRow, wRow, k, y, yOff + n * 4L);
            for (; n < nEnd; n++) k1x1(x, xOff, w, wOff + n * wRow, wRow, k, y, yOff + n * 4L);
            return;
        }
        int kVec = k & ~7;
        int kBlock = Gemv.kBlock(m);
        Gemv.Scratch scratch = Gemv.scratch(m, kVec, GROUP);
        float[] xp = scratch.packX(x, xOff, m, xStride, kVec), acc = scratch.acc;
        for (int n = nStart; n < nEnd; n += GROUP) {
            int g = Math.min(GROUP, nEnd - n);
            java.util.Arrays.fill(acc, 0, g * m * 8, 0f);
            for (int kb = 0; kb < kVec; kb += kBlock) {
                int kbEnd = Math.min(kb + kBlock, kVec);
                for (int i = 0; i < m; i += 8) {
                    int mt = Math.min(8, m - i), p = i * kVec + kb * mt;
                    for (int r = 0; r < g; ) {
                        long wo = wOff + (n + r) * wRow;
                        int ao = (r * m + i) * 8;
                        if (mt <= 4 && r + 2 <= g) {
                            switch (mt) {
                                case 1 -> kb1x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 2 -> kb2x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 3 -> kb3x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                case 4 -> kb4x2(xp, p, w, wo, wRow, kb, kbEnd, acc, ao, m);
                                default -> throw new AssertionError();
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
                                default -> throw new AssertionError();
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
                    y.set(X, yOff + i * yStride + (n + r) * 4L, tail(x, xOff + i * xStride, w, wo, kVec, k, s));
                }
            }
        }
    }

    /** Weight rows per group in the blocked (M > 1) path. */
    private static final int GROUP = 4;

    /** Scalar tail of one dot product: elements {@code [k0, k)} added to {@code s}, the sum of the vector part. */
    private static float tail(MemorySegment x, long xo, MemorySegment w, long wo, int k0, int k, float s) {
        for (int j = k0; j < k; j++) s = Math.fma(x.get(X, xo + j * 4L), weight(w, wo + j * ES), s);
        return s;
    }

    /** One weight at byte offset {@code off}, as a float. */
    private static float weight(MemorySegment w, long off) {
        return w.get(W, off);
    }

    /** One x row, four consecutive weight rows. */
    private static void k1x4(MemorySegment x, long x0, MemorySegment w, long w0, long wRow, int k, MemorySegment y, long yo) {
        long w1 = w0 + wRow, w2 = w1 + wRow, w3 = w2 + wRow;
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00;
        int j = 0;
        for (; j <= k - 8; j += 8) {
            long o = j * ES, xj = j * 4L;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, w1 + o, LE);
            FloatVector v2 = FloatVector.fromMemorySegment(F, w, w2 + o, LE);
            FloatVector v3 = FloatVector.fromMemorySegment(F, w, w3 + o, LE);
            FloatVector p0 = FloatVector.fromMemorySegment(F, x, x0 + xj, LE);
            a00 = v0.fma(p0, a00);
            a01 = v1.fma(p0, a01);
            a02 = v2.fma(p0, a02);
            a03 = v3.fma(p0, a03);
        }
        a00 = a00.add(a00.rearrange(H4));
        a00 = a00.add(a00.rearrange(H2));
        a01 = a01.add(a01.rearrange(H4));
        a01 = a01.add(a01.rearrange(H2));
        a02 = a02.add(a02.rearrange(H4));
        a02 = a02.add(a02.rearrange(H2));
        a03 = a03.add(a03.rearrange(H4));
        a03 = a03.add(a03.rearrange(H2));
        y.set(X, yo, tail(x, x0, w, w0, j, k, a00.add(a00.rearrange(H1)).lane(0)));
        y.set(X, yo + 4, tail(x, x0, w, w1, j, k, a01.add(a01.rearrange(H1)).lane(0)));
        y.set(X, yo + 8, tail(x, x0, w, w2, j, k, a02.add(a02.rearrange(H1)).lane(0)));
        y.set(X, yo + 12, tail(x, x0, w, w3, j, k, a03.add(a03.rearrange(H1)).lane(0)));
    }

    /** One x row, one weight row. */
    private static void k1x1(MemorySegment x, long x0, MemorySegment w, long w0, long wRow, int k, MemorySegment y, long yo) {
        FloatVector a00 = FloatVector.zero(F);
        int j = 0;
        for (; j <= k - 8; j += 8) {
            long o = j * ES, xj = j * 4L;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE);
            FloatVector p0 = FloatVector.fromMemorySegment(F, x, x0 + xj, LE);
            a00 = v0.fma(p0, a00);
        }
        a00 = a00.add(a00.rearrange(H4));
        a00 = a00.add(a00.rearrange(H2));
        y.set(X, yo, tail(x, x0, w, w0, j, k, a00.add(a00.rearrange(H1)).lane(0)));
    }

    /**
     * 1 x row packed at {@code xp[p..]}, 2 weight rows, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb1x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
        int ao1 = ao + 1 * am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        int pb = p - k0 * 1;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 1;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = v0.fma(p0, a00);
            a10 = v1.fma(p0, a10);
        }
        a00.intoArray(acc, ao);
        a10.intoArray(acc, ao1);
    }

    /**
     * 2 x rows packed at {@code xp[p..]}, 2 weight rows, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb2x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
        int ao1 = ao + 1 * am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        int pb = p - k0 * 2;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 2;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = v0.fma(p0, a00);
            a10 = v1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = v0.fma(p1, a01);
            a11 = v1.fma(p1, a11);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
    }

    /**
     * 3 x rows packed at {@code xp[p..]}, 2 weight rows, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb3x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
        int ao1 = ao + 1 * am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        FloatVector a12 = FloatVector.fromArray(F, acc, ao1 + 16);
        int pb = p - k0 * 3;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 3;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = v0.fma(p0, a00);
            a10 = v1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = v0.fma(p1, a01);
            a11 = v1.fma(p1, a11);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 16);
            a02 = v0.fma(p2, a02);
            a12 = v1.fma(p2, a12);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a10.intoArray(acc, ao1);
        a11.intoArray(acc, ao1 + 8);
        a12.intoArray(acc, ao1 + 16);
    }

    /**
     * 4 x rows packed at {@code xp[p..]}, 2 weight rows, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb4x2(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        long w1 = w0 + wRow;
        int ao1 = ao + 1 * am * 8;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a10 = FloatVector.fromArray(F, acc, ao1);
        FloatVector a11 = FloatVector.fromArray(F, acc, ao1 + 8);
        FloatVector a12 = FloatVector.fromArray(F, acc, ao1 + 16);
        FloatVector a13 = FloatVector.fromArray(F, acc, ao1 + 24);
        int pb = p - k0 * 4;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 4;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, w1 + j * ES, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, q);
            a00 = v0.fma(p0, a00);
            a10 = v1.fma(p0, a10);
            FloatVector p1 = FloatVector.fromArray(F, xp, q + 8);
            a01 = v0.fma(p1, a01);
            a11 = v1.fma(p1, a11);
            FloatVector p2 = FloatVector.fromArray(F, xp, q + 16);
            a02 = v0.fma(p2, a02);
            a12 = v1.fma(p2, a12);
            FloatVector p3 = FloatVector.fromArray(F, xp, q + 24);
            a03 = v0.fma(p3, a03);
            a13 = v1.fma(p3, a13);
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
     * 1 x row packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb1x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        int pb = p - k0 * 1;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 1;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
        }
        a00.intoArray(acc, ao);
    }

    /**
     * 2 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb2x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        int pb = p - k0 * 2;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 2;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
    }

    /**
     * 3 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb3x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        int pb = p - k0 * 3;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 3;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
            a02 = v0.fma(FloatVector.fromArray(F, xp, q + 16), a02);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
    }

    /**
     * 4 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb4x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        int pb = p - k0 * 4;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 4;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
            a02 = v0.fma(FloatVector.fromArray(F, xp, q + 16), a02);
            a03 = v0.fma(FloatVector.fromArray(F, xp, q + 24), a03);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
    }

    /**
     * 5 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
     */
    private static void kb5x1(float[] xp, int p, MemorySegment w, long w0, long wRow, int k0, int k1,
                              float[] acc, int ao, int am) {
        FloatVector a00 = FloatVector.fromArray(F, acc, ao);
        FloatVector a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a02 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a03 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a04 = FloatVector.fromArray(F, acc, ao + 32);
        int pb = p - k0 * 5;
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 5;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
            a02 = v0.fma(FloatVector.fromArray(F, xp, q + 16), a02);
            a03 = v0.fma(FloatVector.fromArray(F, xp, q + 24), a03);
            a04 = v0.fma(FloatVector.fromArray(F, xp, q + 32), a04);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a04.intoArray(acc, ao + 32);
    }

    /**
     * 6 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
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
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 6;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
            a02 = v0.fma(FloatVector.fromArray(F, xp, q + 16), a02);
            a03 = v0.fma(FloatVector.fromArray(F, xp, q + 24), a03);
            a04 = v0.fma(FloatVector.fromArray(F, xp, q + 32), a04);
            a05 = v0.fma(FloatVector.fromArray(F, xp, q + 40), a05);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a02.intoArray(acc, ao + 16);
        a03.intoArray(acc, ao + 24);
        a04.intoArray(acc, ao + 32);
        a05.intoArray(acc, ao + 40);
    }

    /**
     * 7 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
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
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 7;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
            a02 = v0.fma(FloatVector.fromArray(F, xp, q + 16), a02);
            a03 = v0.fma(FloatVector.fromArray(F, xp, q + 24), a03);
            a04 = v0.fma(FloatVector.fromArray(F, xp, q + 32), a04);
            a05 = v0.fma(FloatVector.fromArray(F, xp, q + 40), a05);
            a06 = v0.fma(FloatVector.fromArray(F, xp, q + 48), a06);
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
     * 8 x rows packed at {@code xp[p..]}, 1 weight row, elements {@code [k0, k1)}: continues the
     * accumulators at {@code acc[ao..]} (weight row r, x row i at {@code ao + (r * am + i) * 8}).
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
        for (int j = k0; j < k1; j += 8) {
            int q = pb + j * 8;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + j * ES, LE);
            a00 = v0.fma(FloatVector.fromArray(F, xp, q), a00);
            a01 = v0.fma(FloatVector.fromArray(F, xp, q + 8), a01);
            a02 = v0.fma(FloatVector.fromArray(F, xp, q + 16), a02);
            a03 = v0.fma(FloatVector.fromArray(F, xp, q + 24), a03);
            a04 = v0.fma(FloatVector.fromArray(F, xp, q + 32), a04);
            a05 = v0.fma(FloatVector.fromArray(F, xp, q + 40), a05);
            a06 = v0.fma(FloatVector.fromArray(F, xp, q + 48), a06);
            a07 = v0.fma(FloatVector.fromArray(F, xp, q + 56), a07);
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
