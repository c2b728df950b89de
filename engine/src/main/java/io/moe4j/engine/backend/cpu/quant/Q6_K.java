package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
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
 * ggml's Q6_K: super-blocks of 256 weights in 210 bytes (6.5625 bits per weight): 128 bytes of low nibbles
 * {@code ql} (offset 0), 64 bytes of 2-bit high parts {@code qh} (128), 16 signed 8-bit sub-block scales
 * {@code sc} (192) and a half {@code d} (208) at the end. The super-block is two halves of 128 weights; in half
 * {@code n}, with {@code L = ql + 64n}, {@code H = qh + 32n}, {@code S = sc + 8n}, for {@code l < 32}:
 * <pre>
 *   weight l      : low nibble of L[l]       | bits 0-1 of H[l] &lt;&lt; 4, scale S[l/16]
 *   weight l + 32 : low nibble of L[l + 32]  | bits 2-3 of H[l] &lt;&lt; 4, scale S[l/16 + 2]
 *   weight l + 64 : high nibble of L[l]      | bits 4-5 of H[l] &lt;&lt; 4, scale S[l/16 + 4]
 *   weight l + 96 : high nibble of L[l + 32] | bits 6-7 of H[l] &lt;&lt; 4, scale S[l/16 + 6]
 * </pre>
 * and a 6-bit code {@code q} stands for {@code (d · sc) · (q − 32)}.
 *
 * <p>Dequantization is exact, as ggml's {@code dequantize_row_q6_K} computes it in float32 with each operation
 * rounded, in that order: {@code d · sc} is exact (11 + 8 significant bits) and its product with {@code q − 32}
 * (6 more) rounds once.
 */
public final class Q6_K {
    private Q6_K() {}

    /** Weights per super-block. */
    public static final int BLOCK = 256;
    /** Bytes per super-block. */
    public static final int BLOCK_BYTES = 210;

    /**
     * Writes the {@code count} floats encoded by the super-blocks at {@code src[srcOffset..]} to
     * {@code dst[dstOffset..]}.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void dequantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q6_K", BLOCK, BLOCK_BYTES, src, srcOffset, dst, dstOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK_BYTES, o = dstOffset + b * BLOCK * 4;
            float d = Float.float16ToFloat(src.get(I16, s + 208));
            for (int n = 0; n < 2; n++) {
                long ql = s + 64L * n, qh = s + 128 + 32L * n, sc = s + 192 + 8L * n, out = o + 4L * 128 * n;
                for (int l = 0; l < 32; l += 8) {
                    int is = l / 16;
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B8, src, ql + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector c = (IntVector) ByteVector.fromMemorySegment(B8, src, ql + 32 + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B8, src, qh + l, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    IntVector q1 = a.and(15).or(h.and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
                    IntVector q2 = c.and(15).or(h.and(12).lanewise(VectorOperators.LSHL, 2)).sub(32);
                    IntVector q3 = a.lanewise(VectorOperators.ASHR, 4).and(15).or(h.and(48)).sub(32);
                    IntVector q4 = c.lanewise(VectorOperators.ASHR, 4).and(15)
                            .or(h.lanewise(VectorOperators.ASHR, 2).and(48)).sub(32);
                    ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(d * src.get(I8, sc + is))
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * l, LE);
                    ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(d * src.get(I8, sc + is + 2))
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * (32 + l), LE);
                    ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(d * src.get(I8, sc + is + 4))
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * (64 + l), LE);
                    ((FloatVector) q4.convert(VectorOperators.I2F, 0)).mul(d * src.get(I8, sc + is + 6))
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * (96 + l), LE);
                }
            }
        }
    }
}
