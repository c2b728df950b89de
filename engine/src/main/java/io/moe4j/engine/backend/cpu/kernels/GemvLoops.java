package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.Gemv.TILE;
import static io.moe4j.engine.backend.cpu.kernels.Gemv.X;

import java.lang.foreign.MemorySegment;

/**
 * The loops of the GEMV, the same for every weight type: which weight rows go to which kernel, the K blocks and x
 * tiles of M &gt; 1, and the final lane sums. The type's {@link GemvKernels} do the arithmetic.
 *
 * <p>M = 1: {@code k1x4} takes 4 weight rows at a time, giving 4 independent FMA chains that share each x load.
 * The 4 rows are a quarter of the range apart, so the 4 read streams are far apart in memory: adjacent rows
 * (8 KB apart for K = 4096 in BF16) slowed each other down, costing 15-25% of the bandwidth.
 *
 * <p>M &gt; 1: weight rows in groups of {@value #GROUP} (again a quarter of the range apart); x rows in tiles of
 * up to {@value Gemv#TILE}, each weight vector being converted once per tile and used for all its rows, and two
 * weight rows at a time where the type's registers allow ({@link GemvKernels#pairs}). To keep the tile's x in L1,
 * K is cut into blocks of about 16 KB of x: the group goes through one block at a time, its accumulators waiting
 * in a small per-thread array between blocks.
 *
 * <p>Every output is computed by the same sequence of operations whichever kernel handles it: one 8-lane FMA chain
 * over the first {@code K - K mod kStep} elements in order (storing and reloading the accumulators between blocks
 * is exact), a fixed tree sum of the 8 lanes, then the scalar tail. So results depend neither on how the rows are
 * split into chunks (or threads) nor on M.
 */
final class GemvLoops {
    /** Weight rows per group. */
    private static final int GROUP = 4;

    private GemvLoops() {}

    /** Rows {@code [nStart, nEnd)} of {@code y}: arguments already checked by {@link Gemv}, offsets and strides in bytes. */
    static void rows(GemvKernels kn, MemorySegment x, long xOff, int m, long xStride, float[] xp, MemorySegment w,
                     long wOff, int k, MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        long wRow = k * kn.bytesPerWeight();
        int kv = k & -kn.kStep();
        int q = (nEnd - nStart) / GROUP, rest = nStart + q * GROUP;
        if (m == 1) {
            for (int n = nStart; n < nStart + q; n++) {
                kn.k1x4(xp, x, xOff, w, wOff + n * wRow, q * wRow, k, kv, y, yOff + n * 4L, q * 4L);
            }
            for (int n = rest; n < nEnd; n++) kn.k1x1(xp, x, xOff, w, wOff + n * wRow, k, kv, y, yOff + n * 4L);
            return;
        }
        for (int t = 0; t < q; t++) {
            group(kn, x, xOff, m, xStride, xp, w, wOff, k, kv, y, yOff, yStride, nStart + t, q, GROUP);
        }
        if (rest < nEnd) group(kn, x, xOff, m, xStride, xp, w, wOff, k, kv, y, yOff, yStride, rest, 1, nEnd - rest);
    }

    /** M &gt; 1: the {@code g} weight rows {@code n0 + r * step}, {@code r < g}. */
    private static void group(GemvKernels kn, MemorySegment x, long xOff, int m, long xStride, float[] xp,
                              MemorySegment w, long wOff, int k, int kv, MemorySegment y, long yOff, long yStride,
                              int n0, int step, int g) {
        long wRow = k * kn.bytesPerWeight(), wStep = step * wRow;
        int kBlock = Gemv.kBlock(m) & -kn.kStep();
        float[] acc = Gemv.accumulators(GROUP * 8 * m);
        java.util.Arrays.fill(acc, 0, g * m * 8, 0f);
        for (int kb = 0; kb < kv; kb += kBlock) {
            int kbEnd = Math.min(kb + kBlock, kv);
            for (int i = 0; i < m; i += TILE) {
                int mt = Math.min(TILE, m - i), p = i * kv + kb * mt;
                for (int r = 0; r < g; ) {
                    boolean pair = r + 2 <= g && kn.pairs(mt);
                    kn.kb(mt, pair, xp, p, w, wOff + (n0 + (long) r * step) * wRow, wStep, kb, kbEnd, acc,
                            (r * m + i) * 8, m);
                    r += pair ? 2 : 1;
                }
            }
        }
        for (int r = 0; r < g; r++) {
            long n = n0 + (long) r * step, wo = wOff + n * wRow;
            for (int i = 0; i < m; i++) {
                float s = Gemv.laneSum(acc, (r * m + i) * 8);
                y.set(X, yOff + i * yStride + n * 4L, kn.tail(x, xOff + i * xStride, w, wo, kv, k, s));
            }
        }
    }
}
