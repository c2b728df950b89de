package io.moe4j.engine.backend.cpu.kernels;

import io.moe4j.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector products for one or a few activation rows (decoding): {@code y[m, n] = Σ_k x[m, k] · W[n, k]}.
 *
 * <p>x is F32 {@code [M, K]}, W is stored {@code [N, K]} row-major (the Hugging Face layout) in BF16, F16 or
 * F32, y is F32 {@code [M, N]}. Rows of x and y are contiguous; their row strides (in elements) may be larger
 * than K and N. 16-bit weights are widened to float inside the registers as they stream by, with no conversion
 * pass and no copy of W, and each weight vector loaded serves all M rows of x, so for small M the cost stays
 * close to that of reading W once. Any K works (tails are handled); segment offsets need not be aligned.
 *
 * <p>{@link #gemv} computes the weight rows {@code [nStart, nEnd)} for all M rows of x: one chunk of work, on
 * the calling thread. {@link GemvTask} splits a whole product over N into such chunks for a
 * {@link io.moe4j.engine.backend.cpu.WorkerPool}. Both first copy x into a small heap array in the order the
 * kernels read it ({@link #packX}); W and y are used in place.
 *
 * <p><b>Numerics.</b> Every output is one chain of 8-lane float32 fused multiply-adds over the first
 * {@code K - K mod g} elements ({@code g} = 8, or 16 for BF16, whose kernels take even then odd elements of each
 * group of 16), then a fixed tree sum of the 8 lanes, then the last {@code K mod g} terms one by one (also
 * fused). Every output goes through exactly this sequence whatever the row range, the
 * chunking, the thread count or M, so results are bit-for-bit reproducible: the same on 1 or 16 threads, and the
 * same as computing each row of x alone. The error is that of float32 summation of K/8 terms per lane (the tests
 * bound it by {@code 1e-5 · Σ|x·w|}). The 16-bit weight conversions are exact (F16 subnormals, infinities and NaNs
 * included).
 *
 * <p><b>Performance</b> ({@code GemvProbe}, 2-core AVX2 machine with ~25 GB/s of read bandwidth, weights far
 * larger than the caches): at M = 1, F32 weights stream at ~90-98% of the read bandwidth and BF16 at ~80-85%,
 * so BF16 gives ~1.7x the tokens/s of F32; F16 needs 8 vector operations per 8 weights to widen exactly and is
 * compute-bound at ~60%. For M &gt; 1 the kernels become compute-bound on 2 cores: with BF16, M = 2 takes ~1.3x,
 * M = 4 ~1.7x and M = 8 ~2.9x the time of M = 1.
 */
public final class Gemv {
    private Gemv() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat X = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Whether {@code wType} is a weight type these kernels take (BF16, F16, F32). */
    public static boolean supports(DType wType) {
        return wType == DType.BF16 || wType == DType.F16 || wType == DType.F32;
    }

    /**
     * Computes {@code y[m, j] = Σ_k x[m, k] · W[j, k]} for {@code 0 <= m < M} and {@code nStart <= j < nEnd}.
     *
     * @param wType           BF16, F16 or F32
     * @param x               F32 activations {@code [M, K]}, starting at {@code xOffsetBytes}
     * @param xRowStrideElems distance between rows of x, in floats ({@code >= K} when {@code M > 1})
     * @param w               weights {@code [N, K]}, contiguous, starting at {@code wOffsetBytes}
     * @param y               F32 output {@code [M, N]}, starting at {@code yOffsetBytes}
     * @param yRowStrideElems distance between rows of y, in floats ({@code >= N} when {@code M > 1})
     * @throws IllegalArgumentException on a bad size, range or dtype
     * @throws IndexOutOfBoundsException when an operand does not fit in its segment
     */
    public static void gemv(DType wType, MemorySegment x, long xOffsetBytes, int m, long xRowStrideElems,
                            MemorySegment w, long wOffsetBytes, int n, int k,
                            MemorySegment y, long yOffsetBytes, long yRowStrideElems, int nStart, int nEnd) {
        check(wType, x, xOffsetBytes, m, xRowStrideElems, w, wOffsetBytes, n, k, y, yOffsetBytes, yRowStrideElems);
        if (nStart < 0 || nEnd > n || nStart > nEnd) {
            throw new IndexOutOfBoundsException("row range [" + nStart + ", " + nEnd + ") of N = " + n);
        }
        run(wType, x, xOffsetBytes, m, xRowStrideElems * 4, null, w, wOffsetBytes, k, y, yOffsetBytes,
                yRowStrideElems * 4, nStart, nEnd);
    }

    /**
     * Computes rows {@code [nStart, nEnd)}, arguments already checked; strides in bytes. {@code xp} is x packed by
     * {@link #pack} for {@code wType}, or null to pack it here.
     */
    static void run(DType wType, MemorySegment x, long xOff, int m, long xStride, float[] xp, MemorySegment w,
                    long wOff, int k, MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        if (m == 0 || nStart >= nEnd) return;
        if (xp == null) {
            Scratch s = SCRATCH.get();
            xp = s.xp = pack(wType, s.xp, x, xOff, m, xStride, k);
        }
        switch (wType) {
            case BF16 -> GemvLoops.rows(GemvBf16.INSTANCE, x, xOff, m, xStride, xp, w, wOff, k, y, yOff, yStride, nStart, nEnd);
            case F16 -> GemvLoops.rows(GemvF16.INSTANCE, x, xOff, m, xStride, xp, w, wOff, k, y, yOff, yStride, nStart, nEnd);
            case F32 -> GemvLoops.rows(GemvF32.INSTANCE, x, xOff, m, xStride, xp, w, wOff, k, y, yOff, yStride, nStart, nEnd);
            default -> throw new IllegalArgumentException("GEMV weights must be BF16, F16 or F32, got " + wType);
        }
    }

    /** Validates a whole product (all N rows); strides in elements. */
    static void check(DType wType, MemorySegment x, long xOffsetBytes, int m, long xRowStrideElems,
                      MemorySegment w, long wOffsetBytes, int n, int k,
                      MemorySegment y, long yOffsetBytes, long yRowStrideElems) {
        if (!supports(wType)) {
            throw new IllegalArgumentException("GEMV weights must be BF16, F16 or F32, got " + wType);
        }
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative GEMV size M=" + m + " N=" + n + " K=" + k);
        }
        if (m > 1 && xRowStrideElems < k) {
            throw new IllegalArgumentException("x row stride " + xRowStrideElems + " < K = " + k);
        }
        if (m > 1 && yRowStrideElems < n) {
            throw new IllegalArgumentException("y row stride " + yRowStrideElems + " < N = " + n);
        }
        long wBytes = Math.multiplyExact(Math.multiplyExact((long) n, k), (long) wType.blockBytes());
        fits("w", w, wOffsetBytes, wBytes);
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

    /*
     * Lane sums use these shuffles, v + v.rearrange(H4), then H2, then H1, giving lane 0 =
     * ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)): a fixed order, unlike reduceLanes(ADD), whose order is
     * unspecified (the JIT's tree and the interpreter's loop differ), which would make results depend on timing.
     */
    static final VectorShuffle<Float> H4 = VectorShuffle.fromValues(F, 4, 5, 6, 7, 0, 1, 2, 3);
    static final VectorShuffle<Float> H2 = VectorShuffle.fromValues(F, 2, 3, 0, 1, 6, 7, 4, 5);
    static final VectorShuffle<Float> H1 = VectorShuffle.fromValues(F, 1, 0, 3, 2, 5, 4, 7, 6);

    /** The same lane sum as the shuffles above, of the 8 floats at {@code a[o..o+7]}. */
    static float laneSum(float[] a, int o) {
        return ((a[o] + a[o + 4]) + (a[o + 2] + a[o + 6])) + ((a[o + 1] + a[o + 5]) + (a[o + 3] + a[o + 7]));
    }

    /** Elements per K block in the M > 1 path: about 16 KB of x, so that the x rows of a block stay in L1. */
    static int kBlock(int m) {
        return Math.max(64, (4096 / m) & ~7);
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Per-thread arrays of the M > 1 path (grown when needed, never shrunk). */
    private static final class Scratch {
        float[] xp = new float[0];
        float[] acc = new float[0];
    }

    /** This thread's accumulator array, at least {@code n} floats. */
    static float[] accumulators(int n) {
        Scratch s = SCRATCH.get();
        if (s.acc.length < n) s.acc = new float[n];
        return s.acc;
    }

    /** x rows per tile in the M > 1 kernels. */
    static final int TILE = 4;

    /** Elements of K per kernel step: 16 for BF16 (taken as even/odd pairs), 8 otherwise. */
    static int group(DType wType) {
        return wType == DType.BF16 ? 16 : 8;
    }

    /** Packs x for the kernels of {@code wType} ({@link #packX}): all rows, all whole groups of K. */
    static float[] pack(DType wType, float[] xp, MemorySegment x, long xOff, int m, long xStride, int k) {
        int g = group(wType);
        return packX(xp, x, xOff, m, xStride, k & -g, g);
    }

    /**
     * Copies the first {@code kv} elements (a multiple of {@code g}, 8 or 16) of the {@code m} rows of x into
     * {@code xp} (or a larger new array) in the order the kernels read them: the rows in tiles of up to
     * {@link #TILE}, tile {@code [i0, i0 + mt)} at {@code i0 * kv}; in a tile, each group of {@code g} elements of K
     * takes {@code mt * g} floats, row after row, so that the group at element {@code j} of row {@code i} starts at
     * {@code i0 * kv + j * mt + (i - i0) * g} and a kernel reaches all its rows from one index. Groups of 8 are
     * copied as they are; groups of 16 (for BF16 weights, read as even/odd pairs) as their 8 even-indexed elements
     * followed by their 8 odd-indexed ones.
     */
    static float[] packX(float[] xp, MemorySegment x, long xOff, int m, long xStride, int kv, int g) {
        int size = Math.multiplyExact(m, kv);
        if (xp.length < size) xp = new float[size];
        for (int i = 0; i < m; i++) {
            int i0 = i - i % TILE, mt = Math.min(TILE, m - i0);
            long xo = xOff + i * xStride;
            for (int j = 0, p = i0 * kv + (i - i0) * g; j < kv; j += g, p += mt * g) {
                if (g == 8) {
                    FloatVector.fromMemorySegment(F, x, xo + j * 4L, LE).intoArray(xp, p);
                } else {
                    for (int l = 0; l < 8; l++) {
                        xp[p + l] = x.get(X, xo + (j + 2 * l) * 4L);
                        xp[p + 8 + l] = x.get(X, xo + (j + 2 * l + 1) * 4L);
                    }
                }
            }
        }
        return xp;
    }
}
