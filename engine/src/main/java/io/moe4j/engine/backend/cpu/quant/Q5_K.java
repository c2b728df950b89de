package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * ggml's Q5_K: Q4_K with a fifth bit per weight. Super-blocks of 256 weights in 176 bytes (5.5 bits per
 * weight): half {@code d} (offset 0), half {@code dmin} (2), 12 bytes of scales and mins packed as in Q4_K (4),
 * 32 bytes of high bits {@code qh} (16) and 128 bytes of low nibbles {@code ql} (48). Weight {@code l} of
 * sub-block {@code s} (in pair {@code p = s / 2}) has the nibble of {@code ql[32p + l]} (low for even {@code s},
 * high for odd) plus 16 if bit {@code s} of {@code qh[l]} is set; a code {@code q} (0..31) stands for
 * {@code (d · sc) · q − dmin · m}.
 *
 * <p>Dequantization is exact, as ggml's {@code dequantize_row_q5_K} computes it in float32 with each operation
 * rounded: only the final subtraction can round (at most 11 + 6 + 5 significant bits before it), so the fused
 * multiply-add used here gives the same bits (see {@link Q4_K}).
 */
public final class Q5_K {
    private Q5_K() {}

    /** Weights per super-block. */
    public static final int BLOCK = 256;
    /** Bytes per super-block. */
    public static final int BLOCK_BYTES = 176;

    /**
     * Writes the {@code count} floats encoded by the super-blocks at {@code src[srcOffset..]} to
     * {@code dst[dstOffset..]}.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void dequantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q5_K", BLOCK, BLOCK_BYTES, src, srcOffset, dst, dstOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK_BYTES, o = dstOffset + b * BLOCK * 4;
            float d = Float.float16ToFloat(src.get(I16, s)), dmin = Float.float16ToFloat(src.get(I16, s + 2));
            long lo8 = src.get(QuantVectors.I64, s + 4);
            int hi4 = src.get(QuantVectors.I32, s + 12);
            for (int p = 0; p < 4; p++) {
                FloatVector d1 = FloatVector.broadcast(F, d * Q4_K.scale(lo8, hi4, 2 * p));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * Q4_K.min(lo8, hi4, 2 * p));
                FloatVector d2 = FloatVector.broadcast(F, d * Q4_K.scale(lo8, hi4, 2 * p + 1));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * Q4_K.min(lo8, hi4, 2 * p + 1));
                long ql = s + 48 + 32L * p, out = o + 4L * 64 * p;
                int lowBit = 2 * p, highBit = 2 * p + 1;
                for (int j = 0; j < 32; j += 8) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B8, src, ql + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B8, src, s + 16 + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector lo = v.and(15).or(h.lanewise(VectorOperators.LSHR, lowBit).and(1).lanewise(VectorOperators.LSHL, 4));
                    IntVector hi = v.lanewise(VectorOperators.ASHR, 4).and(15)
                            .or(h.lanewise(VectorOperators.LSHR, highBit).and(1).lanewise(VectorOperators.LSHL, 4));
                    ((FloatVector) lo.convert(VectorOperators.I2F, 0)).fma(d1, m1)
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * j, LE);
                    ((FloatVector) hi.convert(VectorOperators.I2F, 0)).fma(d2, m2)
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * (32 + j), LE);
                }
            }
        }
    }
}
