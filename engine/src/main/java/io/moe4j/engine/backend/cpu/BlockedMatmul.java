package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;
import io.moe4j.engine.backend.cpu.kernels.Convert;
import io.moe4j.engine.backend.cpu.quant.Dequantize;
import io.moe4j.engine.tensor.DType;

import java.lang.foreign.MemorySegment;

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
 * <p>One task per calling thread, reused: {@link #set} then run it on the pool; allocates nothing once warm.
 */
final class BlockedMatmul implements ParallelTask {
    /** Weight bytes (as F32) per block: big enough that a oneDNN call's fixed cost is noise, small enough to spread. */
    static final long BLOCK_BYTES = 2L << 20;

    private final CpuBackend backend;
    private final MatmulPrimitives primitives;
    private DType wType;
    private MemorySegment w;
    private long x, y, ldx, ldy;
    private int m, n, k, columns;
    private boolean kMajor;

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

    /** Sets the operands (addresses already checked) and returns the number of blocks. */
    int set(long x, int m, long ldx, DType wType, MemorySegment w, boolean kMajor, int n, int k, long y, long ldy) {
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
        this.columns = blockColumns(n, k);
        return Math.ceilDiv(n, columns);
    }

    void clear() {
        w = null;
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
        primitives.get(m, cols, k, ldx, ldy, dnnl_h.dnnl_f32(), strideK, strideN).execute(x, m, weights, y + c0 * 4L);
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
