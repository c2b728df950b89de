package io.moe4j.jmh;

import io.moe4j.engine.backend.cpu.kernels.Convert;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Benchmark inputs: uniform [-1, 1) values, made in native memory one row at a time (no giant heap arrays). */
final class RandomTensors {
    private RandomTensors() {}

    static Tensor uniform(Arena arena, DType type, long seed, long rows, long cols) {
        return uniform(arena, type, seed, rows, cols, 1);
    }

    /** Values uniform in [-scale, scale). */
    static Tensor uniform(Arena arena, DType type, long seed, long rows, long cols, double scale) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.allocate(arena, type, rows, cols);
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment row = scratch.allocate(4 * cols, 64);
            for (long r = 0; r < rows; r++) {
                for (long c = 0; c < cols; c++) row.setAtIndex(ValueLayout.JAVA_FLOAT, c, (float) (scale * random.nextDouble(-1, 1)));
                long offset = r * type.bytesFor(cols);
                switch (type) {
                    case F32 -> MemorySegment.copy(row, 0, t.segment(), offset, 4 * cols);
                    case BF16 -> Convert.f32ToBf16(row, 0, t.segment(), offset, cols);
                    case F16 -> Convert.f32ToF16(row, 0, t.segment(), offset, cols);
                    default -> throw new IllegalArgumentException("no random " + type + " tensors");
                }
            }
        }
        return t;
    }
}
