package io.moe4j.bench;

import io.moe4j.engine.backend.cpu.ParallelTask;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.backend.cpu.kernels.Convert;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Fills a contiguous 2-D tensor with {@link RandomWeights} values, rows spread over a worker pool. */
final class RandomFill implements ParallelTask {
    private static final int ROWS_PER_CHUNK = 64;

    private final Tensor tensor;
    private final long seed;
    private final long stream;
    private final float scale;
    private final Progress progress;

    private RandomFill(Tensor tensor, long seed, long stream, float scale, Progress progress) {
        this.tensor = tensor;
        this.seed = seed;
        this.stream = stream;
        this.scale = scale;
        this.progress = progress;
    }

    static Tensor allocate(WorkerPool pool, Arena arena, DType type, long rows, long cols, long seed, long stream,
                           float scale, Progress progress) {
        Tensor t = Tensor.allocate(arena, type, rows, cols);
        RandomFill fill = new RandomFill(t, seed, stream, scale, progress);
        pool.run(fill, (int) ((rows + ROWS_PER_CHUNK - 1) / ROWS_PER_CHUNK));
        return t;
    }

    @Override
    public void run(int chunk) {
        long rows = tensor.dim(0), cols = tensor.dim(1);
        long first = (long) chunk * ROWS_PER_CHUNK, end = Math.min(rows, first + ROWS_PER_CHUNK);
        DType type = tensor.dtype();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment row = scratch.allocate(4 * cols, 64);
            for (long r = first; r < end; r++) {
                long base = r * cols;
                for (long c = 0; c < cols; c++) {
                    row.setAtIndex(ValueLayout.JAVA_FLOAT, c, RandomWeights.value(seed, stream, base + c, scale));
                }
                long offset = type.bytesFor(base);
                switch (type) {
                    case F32 -> MemorySegment.copy(row, 0, tensor.segment(), offset, 4 * cols);
                    case BF16 -> Convert.f32ToBf16(row, 0, tensor.segment(), offset, cols);
                    case F16 -> Convert.f32ToF16(row, 0, tensor.segment(), offset, cols);
                    default -> throw new IllegalArgumentException("no random " + type + " weights");
                }
            }
        }
        progress.advance(type.bytesFor((end - first) * cols));
    }
}
