package io.moe4j.engine.backend.cpu.quant;

import io.moe4j.engine.tensor.DType;
import java.lang.foreign.MemorySegment;

/** Exact dequantization of any block-quantized dtype the CPU backend computes with, by dtype. */
public final class Dequantize {
    private Dequantize() {}

    /** Whether {@code type} is a block format these kernels read (Q8_0, Q4_0, Q4_K, Q5_K, Q6_K). */
    public static boolean supports(DType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Writes the {@code count} floats encoded by the {@code type} blocks at {@code src[srcOffset..]} to
     * {@code dst[dstOffset..]}; see each format's {@code dequantize}.
     *
     * @throws IllegalArgumentException if {@code type} is not supported or {@code count} not a multiple of its block
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void run(DType type, MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        switch (type) {
            case Q8_0 -> Q8_0.dequantize(src, srcOffset, dst, dstOffset, count);
            case Q4_0 -> Q4_0.dequantize(src, srcOffset, dst, dstOffset, count);
            case Q4_K -> Q4_K.dequantize(src, srcOffset, dst, dstOffset, count);
            case Q5_K -> Q5_K.dequantize(src, srcOffset, dst, dstOffset, count);
            case Q6_K -> Q6_K.dequantize(src, srcOffset, dst, dstOffset, count);
            default -> throw new IllegalArgumentException("not a block-quantized type these kernels read: " + type);
        }
    }
}
