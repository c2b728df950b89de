package io.moe4j.engine.backend.cpu.kernels;

import io.moe4j.engine.backend.cpu.ParallelTask;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * A reusable {@link Gemv} product split over N for a {@link WorkerPool}: {@link #set} the operands, then
 * {@link #execute} (or {@link #chunks} and {@code pool.run(task, chunks)}). Chunks are ranges of whole weight
 * rows (a multiple of 4, about {@value #CHUNK_BYTES} bytes of weights), so threads stream disjoint contiguous
 * parts of W and a thread slowed down by other load simply takes fewer chunks; since the split is over N only,
 * the results do not depend on the number of threads. x is packed once per call, for all chunks.
 *
 * <p>Keep one task per calling thread (it holds the operands of one call) and reuse it: setting and running it
 * allocates nothing. The pool's threads read and write the segments, so they must not come from a confined
 * arena (use a shared, global or automatic one).
 */
public final class GemvTask implements ParallelTask {
    /** Weight bytes per chunk: small enough to balance the threads, large enough that claiming stays cheap. */
    static final long CHUNK_BYTES = 256 * 1024;
    /** The chunk size used, {@link #CHUNK_BYTES} unless a benchmark changes it. */
    static long chunkBytes = CHUNK_BYTES;

    private DType wType;
    private MemorySegment x, w, y;
    private long xOff, xStride, wOff, yOff, yStride;
    private int m, n, k;
    private int rowsPerChunk = 1;
    private float[] xp = new float[0]; // x packed for the kernels, shared by all chunks
    private boolean prepared; // chunks() has split and packed the operands of the last set()

    /**
     * Sets the operands; same meaning as the arguments of {@link Gemv#gemv}, for the whole range of N. Checks them
     * as {@code Gemv.gemv} does.
     */
    public GemvTask set(DType wType, MemorySegment x, long xOffsetBytes, int m, long xRowStrideElems,
                        MemorySegment w, long wOffsetBytes, int n, int k,
                        MemorySegment y, long yOffsetBytes, long yRowStrideElems) {
        Gemv.check(wType, x, xOffsetBytes, m, xRowStrideElems, w, wOffsetBytes, n, k, y, yOffsetBytes, yRowStrideElems);
        this.wType = wType;
        this.x = x;
        this.xOff = xOffsetBytes;
        this.m = m;
        this.xStride = xRowStrideElems * 4;
        this.w = w;
        this.wOff = wOffsetBytes;
        this.n = n;
        this.k = k;
        this.y = y;
        this.yOff = yOffsetBytes;
        this.yStride = yRowStrideElems * 4;
        this.prepared = false;
        return this;
    }

    /**
     * Sets the operands from tensors: x F32 {@code [K]} or {@code [M, K]}, w {@code [N, K]} contiguous in BF16,
     * F16 or F32, y F32 {@code [N]} or {@code [M, N]} (same rank as x); rows of x and y must be contiguous.
     */
    public GemvTask set(Tensor x, Tensor w, Tensor y) {
        x.requireDType(DType.F32, "GEMV x");
        y.requireDType(DType.F32, "GEMV y");
        if (w.rank() != 2) throw new IllegalArgumentException("GEMV w must be [N, K], got " + w);
        w.requireContiguous("GEMV w");
        if (x.rank() != y.rank() || x.rank() < 1 || x.rank() > 2) {
            throw new IllegalArgumentException(
                    "GEMV x and y must both be [K]/[N] or [M, K]/[M, N], got " + x + " and " + y);
        }
        long n = w.dim(0), k = w.dim(1), m = x.rank() == 2 ? x.dim(0) : 1;
        if (x.dim(-1) != k) throw new IllegalArgumentException("GEMV x " + x + " does not match w " + w);
        if (y.dim(-1) != n || (x.rank() == 2 && y.dim(0) != m)) {
            throw new IllegalArgumentException("GEMV y " + y + " does not match x " + x + " and w " + w);
        }
        if ((k > 1 && x.stride(-1) != 1) || (n > 1 && y.stride(-1) != 1)) {
            throw new IllegalArgumentException("GEMV needs contiguous rows in x and y, got " + x + " and " + y);
        }
        if (m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("GEMV size too large: M=" + m + " N=" + n + " K=" + k);
        }
        return set(w.dtype(), x.segment(), 0, (int) m, x.rank() == 2 ? x.stride(0) : k,
                w.segment(), 0, (int) n, (int) k, y.segment(), 0, y.rank() == 2 ? y.stride(0) : n);
    }

    /**
     * Splits the product for {@code threads} threads and packs x for the kernels; returns the number of chunks to
     * run ({@link #run(int)} each, or {@code pool.run(this, chunks)}). A product of at most {@value #CHUNK_BYTES}
     * bytes of weights is one chunk.
     */
    public int chunks(int threads) {
        if (w == null) throw new IllegalStateException("GEMV task not set");
        if (n == 0 || m == 0) return 0;
        long rowBytes = Math.max(1, (long) k * wType.blockBytes());
        long rows = n;
        if (n * rowBytes > chunkBytes) { // else one chunk, run inline: waking threads would cost more
            rows = Math.ceilDiv(chunkBytes, rowBytes);
            rows = Math.min(rows, Math.ceilDiv((long) n, Math.max(threads, 1))); // every thread gets some
            rows = Math.min((rows + 3) & ~3L, n);
        }
        rowsPerChunk = (int) rows;
        int chunks = (int) Math.ceilDiv((long) n, rows);
        xp = Gemv.pack(wType, xp, x, xOff, m, xStride, k);
        prepared = true;
        return chunks;
    }

    /** Runs the whole product on {@code pool}, then drops the references to the operands. */
    public void execute(WorkerPool pool) {
        try {
            pool.run(this, chunks(pool.threads()));
        } finally {
            x = w = y = null;
            prepared = false;
        }
    }

    /** Computes the weight rows of chunk {@code chunk}, as split by {@link #chunks} (which must come first). */
    @Override
    public void run(int chunk) {
        if (!prepared) throw new IllegalStateException("GEMV task: call chunks() after set() and before run()");
        int start = (int) ((long) chunk * rowsPerChunk);
        int end = (int) Math.min((long) start + rowsPerChunk, n);
        Gemv.run(wType, x, xOff, m, xStride, xp, w, wOff, k, y, yOff, yStride, start, end);
    }
}
