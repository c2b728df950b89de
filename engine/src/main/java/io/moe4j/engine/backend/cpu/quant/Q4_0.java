package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's Q4_0: blocks of 32 weights, each an IEEE half scale {@code d} followed by 16 bytes; byte {@code j} holds
 * the 4-bit code of weight {@code j} in its low nibble and that of weight {@code j + 16} in its high nibble, and
 * a code {@code q} stands for {@code (q − 8) · d} (18 bytes, 4.5 bits per weight).
 *
 * <p>Dequantization is exact: the integer {@code q − 8} times the widened half in float32, as ggml computes it
 * (one possible result: 4 by 11 significant bits; a scale of ±inf gives ±inf, or NaN for {@code q = 8}).
 */
public final class Q4_0 {
    private Q4_0() {}

    /** Weights per block. */
    public static final int BLOCK = 32;
    /** Bytes per block. */
    public static final int BLOCK_BYTES = 18;

    /**
     * Writes the {@code count} floats encoded by the blocks at {@code src[srcOffset..]} to {@code dst[dstOffset..]}.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void dequantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q4_0", BLOCK, BLOCK_BYTES, src, srcOffset, dst, dstOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK_BYTES, o = dstOffset + b * BLOCK * 4;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(src.get(I16, s)));
            for (int j = 0; j < 16; j += 8) {
                IntVector v = (IntVector) ByteVector.fromMemorySegment(B8, src, s + 2 + j, LE)
                        .convertShape(VectorOperators.B2I, I, 0);
                ((FloatVector) v.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .reinterpretAsLongs().intoMemorySegment(dst, o + 4L * j, LE);
                ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(d)
                        .reinterpretAsLongs().intoMemorySegment(dst, o + 4L * (j + 16), LE);
            }
        }
    }

    /**
     * Encodes the {@code count} floats at {@code src[srcOffset..]} as blocks at {@code dst[dstOffset..]} with
     * ggml's reference rounding ({@code quantize_row_q4_0_ref}): {@code max} is the first element of largest
     * magnitude (with its sign), {@code d = max / −8} in float32, stored as the nearest half (ties to even); the
     * code of {@code x} is {@code min(15, trunc(x · (1/d) + 8.5))} with the reciprocal of the unrounded {@code d}
     * (0 when {@code d} is 0). So the extreme element gets code 0 and the scale can be negative. A NaN product
     * (from NaN or infinite inputs), undefined in ggml, gives code 0 here.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void quantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q4_0", BLOCK, BLOCK_BYTES, dst, dstOffset, src, srcOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK * 4, o = dstOffset + b * BLOCK_BYTES;
            float amax = 0, max = 0;
            for (int j = 0; j < BLOCK; j++) {
                float v = src.get(F32, s + 4L * j);
                if (amax < Math.abs(v)) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8;
            float id = d != 0 ? 1 / d : 0;
            dst.set(I16, o, Float.floatToFloat16(d));
            for (int j = 0; j < 16; j++) {
                int lo = code(src.get(F32, s + 4L * j) * id);
                int hi = code(src.get(F32, s + 4L * (j + 16)) * id);
                dst.set(I8, o + 2 + j, (byte) (lo | hi << 4));
            }
        }
    }

    /** {@code MIN(15, (int8_t) (v + 8.5f))}: truncation toward zero; NaN gives 0. */
    private static int code(float v) {
        return Math.min(15, (int) (v + 8.5f));
    }
}
