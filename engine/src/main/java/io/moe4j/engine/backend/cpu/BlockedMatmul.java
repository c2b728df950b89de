package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;
import io.moe4j.engine.backend.cpu.kernels.Convert;
import io.moe4j.engine.backend.cpu.quant.Dequantize;
import io.moe4j.engine.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code y = x · wᵀ} through oneDNN, as independent blocks of output columns spread over our worker pool, each
 * block one single-threaded oneDNN call.
 *
 * <p>Why blocks and not one multi-threaded oneDNN call: oneDNN splits K across its threads for some shapes, so
 * the bits of the result would depend on the thread count. Here the block width depends only on the shape, every
 * block runs the same primitive whatever thread takes it, and results are bit-identical for any thread count.
 * It also lets 16-bit weights be widened, and quantized ones dequantized, block by block, in cache, right before
 * their product.
 *
 * <p><b>The swapped form, for 2 to {@value #SWAP_MAX_ROWS} rows of x.</b> A block then computes
 * {@code yᵀ[cols, M] = W[cols, K] · xᵀ[K, M]}: the weight block is oneDNN's src operand, read in place in its
 * row-major layout, and the small {@code xᵀ} (transposed once per call, shared by every block) is the weights
 * operand. In the usual form W is oneDNN's weights operand in the {@code ba} layout, which oneDNN repacks on every
 * call; with few rows that repacking costs as much as the product. Measured single-threaded with oneDNN 3.13 on the
 * 2-core AVX2 machine (K = 2048, 256 columns, GFLOP/s usual / swapped): weights from memory M = 16: 43 / 59-62,
 * M = 64: 66 / 85-88, M = 128: 57-73 / 73; widened block in cache M = 16: 55 / 87; K = 14336, 32 columns M = 16:
 * 40 / 79. From 512 rows on the usual form is faster (74 / 62). M = 1 keeps the usual form (oneDNN's GEMV, equal).
 * oneDNN serves the swapped form, whose token count is left to run time, with its {@code gemm:jit} kernels.
 *
 * <p>One task per calling thread, reused: {@link #set} then run it on the pool; allocates nothing once warm.
 */
final class BlockedMatmul implements ParallelTask {
    /** Weight bytes (as F32) per block: big enough that a oneDNN call's fixed cost is noise, small enough to spread. */
    static final long BLOCK_BYTES = 2L << 20;
    /** Largest M computed in the swapped form. */
    static final int SWAP_MAX_ROWS = 256;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final CpuBackend backend;
    private final MatmulPrimitives primitives;
    private DType wType;
    private MemorySegment w, ySegment;
    private long x, y, ldx, ldy;
    private int m, n, k, columns;
    private boolean kMajor;
    private boolean swapped;
    private MemorySegment xT; // [K, M] in the swapped form (the calling thread's scratch), shared by all blocks of a call

    BlockedMatmul(CpuBackend backend, MatmulPrimitives primitives) {
        this.backend = backend;
        this.primitives = primitives;
    }

    /** Output columns per block: a function of the shape only (never of the thread count). */
    static int blockColumns(long n, long k) {
        long cols = BLOCK_BYTES / (4 * Math.max(k, 1));
        cols = Math.max(16, cols & ~15L);
        return (int) Math.min(cols, n);
    }

    /** Whether M rows take the swapped form. */
    static boolean swaps(int m) {
        return m >= 2 && m <= SWAP_MAX_ROWS;
    }

    /**
     * Sets the operands and returns the number of blocks. {@code x} and {@code y} are the checked addresses of
     * element 0 of {@code xSegment} and {@code ySegment}; in the swapped form x is transposed here, on the calling
     * thread.
     */
    int set(MemorySegment xSegment, long x, int m, long ldx, DType wType, MemorySegment w, boolean kMajor, int n, int k,
            MemorySegment ySegment, long y, long ldy) {
        this.kMajor = kMajor;
        this.x = x;
        this.m = m;
        this.ldx = ldx;
        this.wType = wType;
        this.w = w;
        this.n = n;
        this.k = k;
        this.y = y;
        this.ldy = ldy;
        this.ySegment = ySegment;
        this.columns = blockColumns(n, k);
        this.swapped = swaps(m);
        if (swapped) transposeX(xSegment);
        return Math.ceilDiv(n, columns);
    }

    void clear() {
        w = null;
        ySegment = null;
        xT = null;
    }

    /** {@code xT[kk, i] = x[i, kk]}, dense {@code [K, M]}. */
    private void transposeX(MemorySegment xs) {
        xT = backend.transposedXScratch(4L * m * k);
        for (int i = 0; i < m; i++) {
            long row = 4L * i * ldx;
            for (int kk = 0; kk < k; kk++) xT.set(F32, 4L * ((long) kk * m + i), xs.get(F32, row + 4L * kk));
        }
    }

    /** {@code y[i, c0 + c] = yT[c, i]} for the block's {@code cols} columns. */
    private void scatterY(MemorySegment yT, int c0, int cols) {
        for (int i = 0; i < m; i++) {
            long row = 4L * (i * ldy + c0);
            for (int c = 0; c < cols; c++) ySegment.set(F32, row + 4L * c, yT.get(F32, 4L * ((long) c * m + i)));
        }
    }

    @Override
    public void run(int block) {
        int c0 = block * columns;
        int cols = Math.min(columns, n - c0);
        long weights;
        long strideK, strideN;
        if (wType == DType.F32) {
            weights = w.address() + 4L * (kMajor ? c0 : (long) c0 * k);
            strideK = kMajor ? n : 1;
            strideN = kMajor ? 1 : k;
        } else {
            MemorySegment widened = backend.widenScratch((long) cols * k * 4);
            widen(widened, c0, cols);
            weights = widened.address();
            strideK = kMajor ? cols : 1;
            strideN = kMajor ? 1 : k;
        }
        backend.singleThreadedOneDnn();
        if (!swapped) {
            primitives.get(m, cols, k, ldx, ldy, dnnl_h.dnnl_f32(), strideK, strideN).execute(x, m, weights, y + c0 * 4L);
            return;
        }
        MemorySegment yT = backend.transposedYScratch(4L * cols * m);
        primitives.swapped(cols, k, strideN, strideK).execute(weights, m, xT.address(), yT.address());
        scatterY(yT, c0, cols);
    }

    /** Widens (or dequantizes) output columns [c0, c0 + cols) of the weights to F32, keeping their layout. */
    private void widen(MemorySegment into, int c0, int cols) {
        if (wType.isBlockQuantized()) { // whole rows of blocks: never K-major
            Dequantize.run(wType, w, wType.bytesFor((long) c0 * k), into, 0, (long) cols * k);
            return;
        }
        if (!kMajor) {
            convert(w, (long) c0 * k * 2, into, 0, (long) cols * k);
            return;
        }
        for (long row = 0; row < k; row++) convert(w, 2 * (row * n + c0), into, 4 * row * cols, cols);
    }

    private void convert(MemorySegment src, long from, MemorySegment dst, long to, long count) {
        if (wType == DType.BF16) Convert.bf16ToF32(src, from, dst, to, count);
        else Convert.f16ToF32(src, from, dst, to, count);
    }
}
