package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;

import io.moe4j.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Matrix-vector products with block-quantized weights for one or a few rows of x (decoding):
 * {@code y[m, n] = Σ_k x[m, k] · W[n, k]}, x F32 {@code [M, K]}, W {@code [N, K]} row-major in Q8_0, Q4_0, Q4_K,
 * Q5_K or Q6_K (K a multiple of the block size), y F32 {@code [M, N]}.
 *
 * <p>How: the weight rows are taken in groups of 4 and K in slices of {@value #SLICE} elements. Each slice of
 * the group's rows is dequantized exactly (the formats' own {@code dequantize}) into a small per-thread buffer
 * that stays in L1, and float32 micro-kernels ({@link F32Tiles}) multiply it by up to 4 rows of x at a time. So
 * W is read once, in place, and never dequantized as a whole; each dequantized slice serves all M rows of x.
 * The 4 rows of a group are a quarter of the range apart, as in the 16-bit GEMV (adjacent rows' streams slowed
 * each other down).
 *
 * <p>M = 1 (decoding) has fused kernels for Q8_0, Q4_0 and Q4_K ({@code Q8_0Gemv} …): the same exact
 * dequantization done in registers and fed straight into the multiply-add chains, without the store to and load
 * from the slice buffer: on one AVX2 core they stream 1.6-1.8× the weights per second of the general path
 * (Q8_0 ~1.7×, Q4_0 ~1.8×, Q4_K ~1.8×). For Q6_K a fused kernel measured no faster (its bit unpacking, not the
 * buffer, is the cost), so Q5_K and Q6_K at M = 1 and every type at M &gt; 1 take the general path.
 *
 * <p><b>Numerics.</b> Every output is the float32 dot product of its x row with the exactly dequantized weight
 * row, computed as one 8-lane fused multiply-add chain over K in order and a fixed tree sum of the lanes: the
 * same operations, so the same bits, as the F32 GEMV over the dequantized matrix, whatever M, chunking or thread
 * count. Its error is that of float32 summation, bounded by the tests at {@code 1e-5 · Σ|x·w|}.
 *
 * <p>{@link #gemv} computes a range of weight rows on the calling thread; {@link QuantGemvTask} splits a whole
 * product over N for a {@link io.moe4j.engine.backend.cpu.WorkerPool}.
 */
public final class QuantGemv {
    private QuantGemv() {}

    /** K elements per slice: 4 rows of dequantized weights (8 KB) and 4 rows of x (8 KB) fit in L1 together. */
    static final int SLICE = 512;
    /** Weight rows per group. */
    static final int GROUP = 4;

    /**
     * Computes {@code y[i, j] = Σ_k x[i, k] · W[j, k]} for {@code 0 <= i < M} and {@code nStart <= j < nEnd}.
     *
     * @param wType           Q8_0, Q4_0, Q4_K, Q5_K or Q6_K
     * @param x               F32 activations {@code [M, K]}, starting at {@code xOffsetBytes}
     * @param xRowStrideElems distance between rows of x, in floats ({@code >= K} when {@code M > 1})
     * @param w               weights {@code [N, K]}, contiguous, starting at {@code wOffsetBytes}
     * @param y               F32 output {@code [M, N]}, starting at {@code yOffsetBytes}
     * @param yRowStrideElems distance between rows of y, in floats ({@code >= N} when {@code M > 1})
     * @throws IllegalArgumentException on a bad size (K not a multiple of the block size), range or dtype
     * @throws IndexOutOfBoundsException when an operand does not fit in its segment
     */
    public static void gemv(DType wType, MemorySegment x, long xOffsetBytes, int m, long xRowStrideElems,
                            MemorySegment w, long wOffsetBytes, int n, int k,
                            MemorySegment y, long yOffsetBytes, long yRowStrideElems, int nStart, int nEnd) {
        check(wType, x, xOffsetBytes, m, xRowStrideElems, w, wOffsetBytes, n, k, y, yOffsetBytes, yRowStrideElems);
        if (nStart < 0 || nEnd > n || nStart > nEnd) {
            throw new IndexOutOfBoundsException("row range [" + nStart + ", " + nEnd + ") of N = " + n);
        }
        Scratch s = SCRATCH.get();
        s.xp = pack(s.xp, x, xOffsetBytes, m, xRowStrideElems * 4, k);
        rows(wType, s.xp, m, k, w, wOffsetBytes, y, yOffsetBytes, yRowStrideElems * 4, nStart, nEnd);
    }

    /** Validates a whole product (all N rows); strides in elements. */
    static void check(DType wType, MemorySegment x, long xOffsetBytes, int m, long xRowStrideElems,
                      MemorySegment w, long wOffsetBytes, int n, int k,
                      MemorySegment y, long yOffsetBytes, long yRowStrideElems) {
        if (!Dequantize.supports(wType)) {
            throw new IllegalArgumentException("quantized GEMV weights must be Q8_0, Q4_0, Q4_K, Q5_K or Q6_K, got " + wType);
        }
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("negative GEMV size M=" + m + " N=" + n + " K=" + k);
        if (k % wType.blockSize() != 0) {
            throw new IllegalArgumentException(wType + " weights need K to be a multiple of " + wType.blockSize()
                    + " (the block size), got K = " + k);
        }
        if (m > 1 && xRowStrideElems < k) throw new IllegalArgumentException("x row stride " + xRowStrideElems + " < K = " + k);
        if (m > 1 && yRowStrideElems < n) throw new IllegalArgumentException("y row stride " + yRowStrideElems + " < N = " + n);
        if ((long) m * k > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("GEMV x too large: M=" + m + " K=" + k);
        fits("w", w, wOffsetBytes, wType.bytesFor(Math.multiplyExact((long) n, k)));
        if (m == 0) return;
        fits("x", x, xOffsetBytes, 4 * Math.addExact(Math.multiplyExact(m - 1L, xRowStrideElems), (long) k));
        fits("y", y, yOffsetBytes, 4 * Math.addExact(Math.multiplyExact(m - 1L, yRowStrideElems), (long) n));
    }

    private static void fits(String what, MemorySegment s, long offset, long bytes) {
        if (offset < 0 || bytes > s.byteSize() - offset) {
            throw new IndexOutOfBoundsException("GEMV " + what + ": " + bytes + " bytes at offset " + offset
                    + " do not fit in a segment of " + s.byteSize() + " bytes");
        }
    }

    /** Copies the M rows of x ({@code xStride} bytes apart) into {@code xp} (or a larger new array), K floats each. */
    static float[] pack(float[] xp, MemorySegment x, long xOff, int m, long xStride, int k) {
        int size = m * k;
        if (xp.length < size) xp = new float[size];
        for (int i = 0; i < m; i++) MemorySegment.copy(x, F32, xOff + i * xStride, xp, i * k, k);
        return xp;
    }

    /** Rows {@code [nStart, nEnd)}, arguments checked, x packed by {@link #pack}; y stride in bytes. */
    static void rows(DType wType, float[] xp, int m, int k, MemorySegment w, long wOff,
                     MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        if (m == 0 || nStart >= nEnd) return;
        if (m == 1) {
            switch (wType) {
                case Q8_0 -> { Q8_0Gemv.rows(xp, k, w, wOff, y, yOff, nStart, nEnd); return; }
                case Q4_0 -> { Q4_0Gemv.rows(xp, k, w, wOff, y, yOff, nStart, nEnd); return; }
                case Q4_K -> { Q4_KGemv.rows(xp, k, w, wOff, y, yOff, nStart, nEnd); return; }
                default -> { } // the general path below
            }
        }
        Scratch s = SCRATCH.get();
        float[] acc = s.accumulators(GROUP * 8 * m);
        int q = (nEnd - nStart) / GROUP, rest = nStart + q * GROUP;
        for (int t = 0; t < q; t++) group(wType, xp, m, k, w, wOff, y, yOff, yStride, nStart + t, q, GROUP, s.w, acc);
        if (rest < nEnd) group(wType, xp, m, k, w, wOff, y, yOff, yStride, rest, 1, nEnd - rest, s.w, acc);
    }

    /** The {@code g} weight rows {@code n0 + r * step}, {@code r < g}, for all M rows of x. */
    private static void group(DType wType, float[] xp, int m, int k, MemorySegment w, long wOff,
                              MemorySegment y, long yOff, long yStride, int n0, int step, int g,
                              MemorySegment ws, float[] acc) {
        long rowBytes = wType.bytesFor(k), sliceBytes = 4L * SLICE;
        int aStride = m * 8;
        Arrays.fill(acc, 0, g * aStride, 0f);
        for (int kc = 0; kc < k; kc += SLICE) {
            int len = Math.min(SLICE, k - kc);
            long from = wType.bytesFor(kc);
            for (int r = 0; r < g; r++) {
                Dequantize.run(wType, w, wOff + (n0 + (long) r * step) * rowBytes + from, ws, r * sliceBytes, len);
            }
            for (int i = 0; i < m; i += 4) {
                int mt = Math.min(4, m - i), xo = i * k + kc, ao = i * 8;
                if (g == GROUP && mt == 1) {
                    F32Tiles.k1x4(ws, 0, sliceBytes, xp, xo, len, acc, ao, aStride);
                } else if (g == GROUP && mt == 2) {
                    F32Tiles.k2x2(ws, 0, sliceBytes, xp, xo, k, len, acc, ao, aStride);
                    F32Tiles.k2x2(ws, 2 * sliceBytes, sliceBytes, xp, xo, k, len, acc, ao + 2 * aStride, aStride);
                } else {
                    for (int r = 0; r < g; r++) {
                        long w0 = r * sliceBytes;
                        int a = ao + r * aStride;
                        switch (mt) {
                            case 1 -> F32Tiles.k1x1(ws, w0, xp, xo, len, acc, a);
                            case 2 -> F32Tiles.k2x1(ws, w0, xp, xo, k, len, acc, a);
                            case 3 -> F32Tiles.k3x1(ws, w0, xp, xo, k, len, acc, a);
                            default -> F32Tiles.k4x1(ws, w0, xp, xo, k, len, acc, a);
                        }
                    }
                }
            }
        }
        for (int r = 0; r < g; r++) {
            long col = yOff + 4L * (n0 + (long) r * step);
            for (int i = 0; i < m; i++) y.set(F32, col + i * yStride, F32Tiles.laneSum(acc, r * aStride + i * 8));
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread buffers: dequantized slices (native, 64-byte aligned), accumulators, x for {@link #gemv}. */
    private static final class Scratch {
        final MemorySegment w = Arena.ofAuto().allocate(4L * SLICE * GROUP, 64);
        float[] acc = new float[0];
        float[] xp = new float[0];

        float[] accumulators(int n) {
            if (acc.length < n) acc = new float[n];
            return acc;
        }
    }
}
