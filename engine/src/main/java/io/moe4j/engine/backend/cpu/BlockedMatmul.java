package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;
import io.moe4j.engine.backend.cpu.kernels.Convert;
import io.moe4j.engine.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * {@code y = x · wᵀ} through oneDNN, as independent blocks of output columns spread over our worker pool, each
 * block one single-threaded oneDNN call.
 *
 * <p>Why blocks and not one multi-threaded oneDNN call: oneDNN splits K across its threads for some shapes, so
 * the bits of the result would depend on the thread count. Here the block width depends only on the shape, every
 * block runs the same primitive whatever thread takes it, and results are bit-identical for any thread count.
 * It also lets 16-bit weights be widened block by block, in cache, right before their product.
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
    int set(long x, int m, long ldx, DType wType, MemorySegment w, int n, int k, long y, long ldy) {
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
        if (wType == DType.F32) {
            weights = w.address() + (long) c0 * k * 4;
        } else {
            MemorySegment widened = backend.widenScratch((long) cols * k * 4);
            long from = (long) c0 * k * 2;
            if (wType == DType.BF16) Convert.bf16ToF32(w, from, widened, 0, (long) cols * k);
            else Convert.f16ToF32(w, from, widened, 0, (long) cols * k);
            weights = widened.address();
        }
        backend.singleThreadedOneDnn();
        primitives.get(m, cols, k, ldx, ldy, dnnl_h.dnnl_f32()).execute(x, m, weights, y + c0 * 4L);
    }
}
