package io.moe4j.jmh;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * Block-quantized benchmark weights made directly as blocks (random codes and scale bytes, half scales of
 * magnitude in [2⁻¹⁰, 2⁻⁶)), not by quantizing floats: a kernel's speed does not depend on the values, and a
 * gigabyte of random blocks takes a second rather than a minute.
 */
final class RandomQuantTensors {
    private RandomQuantTensors() {}

    static Tensor blocks(Arena arena, DType type, long seed, long rows, long cols) {
        SplittableRandom random = new SplittableRandom(seed);
        Tensor t = Tensor.allocate(arena, type, rows, cols);
        MemorySegment s = t.segment();
        long bytes = s.byteSize(), blockBytes = type.blockBytes();
        long o = 0;
        for (; o + 8 <= bytes; o += 8) s.set(ValueLayout.JAVA_LONG_UNALIGNED, o, random.nextLong());
        for (; o < bytes; o++) s.set(ValueLayout.JAVA_BYTE, o, (byte) random.nextInt());
        int[] scales = switch (type) {
            case Q8_0, Q4_0 -> new int[] {0};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException("not a block-quantized type: " + type);
        };
        for (long b = 0; b < bytes; b += blockBytes) {
            for (int so : scales) {
                float d = (float) random.nextDouble(0x1p-10, 0x1p-6);
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED, b + so, Float.floatToFloat16(random.nextBoolean() ? d : -d));
            }
        }
        return t;
    }
}
