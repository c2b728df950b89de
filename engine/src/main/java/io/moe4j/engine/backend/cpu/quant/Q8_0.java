package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's Q8_0: blocks of 32 weights, each an IEEE half scale {@code d} followed by 32 signed bytes {@code q};
 * weight {@code j} is {@code d · q[j]} (34 bytes, 8.5 bits per weight).
 *
 * <p>Dequantization is exact: the float32 product of the widened half and the byte, as ggml computes it (the
 * product of an 11-bit and an 8-bit significand needs no rounding, so there is only one possible result; a scale
 * of ±inf gives ±inf, or NaN for {@code q = 0}).
 */
public final class Q8_0 {
    private Q8_0() {}

    /** Weights per block. */
    public static final int BLOCK = 32;
    /** Bytes per block. */
    public static final int BLOCK_BYTES = 34;

    /**
     * Writes the {@code count} floats encoded by the blocks at {@code src[srcOffset..]} to {@code dst[dstOffset..]}.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void dequantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q8_0", BLOCK, BLOCK_BYTES, src, srcOffset, dst, dstOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK_BYTES, o = dstOffset + b * BLOCK * 4;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(src.get(I16, s)));
            for (int j = 0; j < BLOCK; j += 8) {
                ((FloatVector) ByteVector.fromMemorySegment(B8, src, s + 2 + j, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d).reinterpretAsLongs().intoMemorySegment(dst, o + 4L * j, LE);
            }
        }
    }

    /**
     * Encodes the {@code count} floats at {@code src[srcOffset..]} as blocks at {@code dst[dstOffset..]} with
     * ggml's reference rounding ({@code quantize_row_q8_0_ref}): {@code d = amax / 127} in float32, stored as the
     * nearest half (ties to even); {@code q = roundf(x · (1/d))}, rounding halves away from zero, with the
     * reciprocal of the unrounded {@code d} (0 when {@code d} is 0). amax is taken as ggml's {@code MAX} macro
     * takes it, so a NaN is passed over unless it is the last element. ggml leaves the conversion of a NaN
     * product to a byte undefined (an infinite input makes one: {@code inf · 0}); here it gives 0.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void quantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q8_0", BLOCK, BLOCK_BYTES, dst, dstOffset, src, srcOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK * 4, o = dstOffset + b * BLOCK_BYTES;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                float a = Math.abs(src.get(F32, s + 4L * j));
                amax = amax > a ? amax : a;
            }
            float d = amax / 127;
            float id = d != 0 ? 1 / d : 0;
            dst.set(I16, o, Float.floatToFloat16(d));
            for (int j = 0; j < BLOCK; j++) {
                dst.set(I8, o + 2 + j, (byte) roundHalfAway(src.get(F32, s + 4L * j) * id));
            }
        }
    }

    /** C's {@code roundf}: the nearest integer, halves away from zero; NaN gives 0. */
    static int roundHalfAway(float v) {
        int r = Math.round(Math.abs(v)); // floor(|v| + 1/2), exact
        return v < 0 ? -r : r;
    }
}
