package io.moe4j.engine.backend.cpu.quant;

import io.moe4j.engine.backend.cpu.ParallelTask;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * A reusable {@link QuantGemv} product split over N for a {@link WorkerPool}: {@link #set} the operands, then
 * {@link #execute} (or {@link #chunks} and {@code pool.run(task, chunks)}). Chunks are ranges of whole weight
 * rows (a multiple of 4, about {@value #CHUNK_BYTES} bytes of weights), so a thread slowed down by other load
 * takes fewer of them; the split being over N only, results do not depend on the number of threads. x is copied
 * once per call, for all chunks.
 *
 * <p>Keep one task per calling thread and reuse it: setting and running it allocates nothing once its x buffer
 * has grown to the largest M·K seen. The pool's threads read and write the segments, so they must not come from
 * a confined arena.
 */
public final class QuantGemvTask implements ParallelTask {
    /** Weight bytes per chunk: small enough to balance the threads, large enough that claiming stays cheap. */
    static final long CHUNK_BYTES = 256 * 1024;

    private DType wType;
    private MemorySegment x, w, y;
    private long xOff, xStride, wOff, yOff, yStride;
    private int m, n, k;
    private int rowsPerChunk = 1;
    private float[] xp = new float[0];
    private final Q8Activations xq = new Q8Activations();
    private boolean int8;
    private boolean prepared;

    /** Sets the operands; same meaning as the arguments of {@link QuantGemv#gemv}, for the whole range of N. */
    public QuantGemvTask set(DType wType, MemorySegment x, long xOffsetBytes, int m, long xRowStrideElems,
                             MemorySegment w, long wOffsetBytes, int n, int k,
                             MemorySegment y, long yOffsetBytes, long yRowStrideElems) {
        QuantGemv.check(wType, x, xOffsetBytes, m, xRowStrideElems, w, wOffsetBytes, n, k, y, yOffsetBytes, yRowStrideElems);
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
        this.int8 = false;
        this.prepared = false;
        return this;
    }

    /**
     * Switches the product just {@link #set} to the quantized-activation kernels ({@link QuantDot}): x is rounded
     * to 8-bit codes per block of 32 and multiplied in integers, as ggml does. Q8_0 and Q4_0 weights only.
     */
    public QuantGemvTask int8Activations() {
        if (wType != DType.Q8_0 && wType != DType.Q4_0) {
            throw new IllegalArgumentException("quantized activations are implemented for Q8_0 and Q4_0 weights, not " + wType);
        }
        int8 = true;
        return this;
    }

    /**
     * Sets the operands from rank-2 tensors: x F32 {@code [M, K]}, w {@code [N, K]} contiguous and quantized, y F32
     * {@code [M, N]}; rows of x and y must be contiguous (their row strides may be larger than K and N).
     */
    public QuantGemvTask set(Tensor x, Tensor w, Tensor y) {
        x.requireDType(DType.F32, "GEMV x");
        y.requireDType(DType.F32, "GEMV y");
        if (x.rank() != 2 || w.rank() != 2 || y.rank() != 2) {
            throw new IllegalArgumentException("GEMV needs x [M, K], w [N, K], y [M, N], got " + x + ", " + w + ", " + y);
        }
        w.requireContiguous("GEMV w");
        long m = x.dim(0), k = w.dim(1), n = w.dim(0);
        if (x.dim(1) != k || y.dim(0) != m || y.dim(1) != n) {
            throw new IllegalArgumentException("GEMV shapes do not match: x " + x + ", w " + w + ", y " + y);
        }
        if ((k > 1 && x.stride(1) != 1) || (n > 1 && y.stride(1) != 1)) {
            throw new IllegalArgumentException("GEMV needs contiguous rows in x and y, got " + x + " and " + y);
        }
        if (m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("GEMV size too large: M=" + m + " N=" + n + " K=" + k);
        }
        return set(w.dtype(), x.segment(), 0, (int) m, x.stride(0), w.segment(), 0, (int) n, (int) k,
                y.segment(), 0, y.stride(0));
    }

    /**
     * Splits the product for {@code threads} threads and copies x; returns the number of chunks to run
     * ({@link #run(int)} each, or {@code pool.run(this, chunks)}).
     */
    public int chunks(int threads) {
        if (w == null) throw new IllegalStateException("GEMV task not set");
        if (n == 0 || m == 0) return 0;
        long rowBytes = Math.max(1, wType.bytesFor(k));
        long rows = n;
        if (n * rowBytes > CHUNK_BYTES) { // else one chunk, run inline: waking threads would cost more
            rows = Math.ceilDiv(CHUNK_BYTES, rowBytes);
            rows = Math.min(rows, Math.ceilDiv((long) n, Math.max(threads, 1)));
            rows = Math.min((rows + 3) & ~3L, n);
        }
        rowsPerChunk = (int) rows;
        if (int8) xq.quantize(x, xOff, m, xStride, k);
        else xp = QuantGemv.pack(xp, x, xOff, m, xStride, k);
        prepared = true;
        return (int) Math.ceilDiv((long) n, rows);
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
        if (int8) QuantDot.rows(wType, xq, m, k, w, wOff, y, yOff, yStride, start, end);
        else QuantGemv.rows(wType, xp, m, k, w, wOff, y, yOff, yStride, start, end);
    }
}
