package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.backend.cpu.kernels.Convert;
import io.moe4j.engine.tensor.DType;

import java.lang.foreign.MemorySegment;

/**
 * Widens a block of 16-bit weight rows to F32 scratch, split over rows for the {@link WorkerPool}.
 * One per calling thread, reused: setting and running it allocates nothing.
 */
final class WidenTask implements ParallelTask {
    private static final int ROWS_PER_CHUNK = 16;

    private DType type;
    private MemorySegment src;
    private long srcOffset;
    private MemorySegment dst;
    private long k;
    private int rows;

    int set(DType type, MemorySegment src, long srcOffset, MemorySegment dst, long k, int rows) {
        this.type = type;
        this.src = src;
        this.srcOffset = srcOffset;
        this.dst = dst;
        this.k = k;
        this.rows = rows;
        return Math.ceilDiv(rows, ROWS_PER_CHUNK);
    }

    void clear() {
        src = dst = null;
    }

    @Override
    public void run(int chunk) {
        long first = (long) chunk * ROWS_PER_CHUNK;
        long count = Math.min(ROWS_PER_CHUNK, rows - first) * k;
        long from = srcOffset + first * k * 2;
        long to = first * k * 4;
        if (type == DType.BF16) Convert.bf16ToF32(src, from, dst, to, count);
        else Convert.f16ToF32(src, from, dst, to, count);
    }
}
