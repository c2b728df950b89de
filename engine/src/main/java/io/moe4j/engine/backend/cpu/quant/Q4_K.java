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
 * ggml's Q4_K: super-blocks of 256 weights in 144 bytes (4.5 bits per weight): a half {@code d} (offset 0), a
 * half {@code dmin} (2), 12 bytes of 6-bit sub-block scales and mins (4), and 128 bytes of 4-bit codes (16).
 * There are 8 sub-blocks of 32 weights, taken in pairs: the 32 code bytes of pair {@code p} give sub-block
 * {@code 2p} in their low nibbles and sub-block {@code 2p + 1} in their high nibbles. Sub-block {@code s} has
 * scale {@code sc[s]} and min {@code m[s]} (6 bits each, see {@link #scale} and {@link #min}), and a code
 * {@code q} stands for {@code (d · sc) · q − dmin · m}.
 *
 * <p>Dequantization is exact, as ggml's {@code dequantize_row_q4_K} computes it in float32 with each operation
 * rounded (no fused multiply-add): {@code d · sc}, its product with {@code q} and {@code dmin · m} are exact
 * (at most 11 + 6 + 4 significant bits), and the subtraction rounds once. That is why the vector code may use a
 * fused multiply-add {@code q · (d · sc) + (−dmin · m)}: with an exact product it rounds the same single time, and
 * gives the same signed zeros, infinities and NaNs, at one operation instead of two.
 */
public final class Q4_K {
    private Q4_K() {}

    /** Weights per super-block. */
    public static final int BLOCK = 256;
    /** Bytes per super-block. */
    public static final int BLOCK_BYTES = 144;

    /**
     * Writes the {@code count} floats encoded by the super-blocks at {@code src[srcOffset..]} to
     * {@code dst[dstOffset..]}.
     *
     * @throws IllegalArgumentException if {@code count} is not a multiple of {@value #BLOCK}
     * @throws IndexOutOfBoundsException if either range does not fit its segment
     */
    public static void dequantize(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long count) {
        QuantVectors.checkRange("Q4_K", BLOCK, BLOCK_BYTES, src, srcOffset, dst, dstOffset, count);
        for (long b = 0, blocks = count / BLOCK; b < blocks; b++) {
            long s = srcOffset + b * BLOCK_BYTES, o = dstOffset + b * BLOCK * 4;
            float d = Float.float16ToFloat(src.get(I16, s)), dmin = Float.float16ToFloat(src.get(I16, s + 2));
            long lo = src.get(QuantVectors.I64, s + 4);
            int hi = src.get(QuantVectors.I32, s + 12);
            for (int p = 0; p < 4; p++) {
                FloatVector d1 = FloatVector.broadcast(F, d * scale(lo, hi, 2 * p));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * min(lo, hi, 2 * p));
                FloatVector d2 = FloatVector.broadcast(F, d * scale(lo, hi, 2 * p + 1));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * min(lo, hi, 2 * p + 1));
                long q = s + 16 + 32L * p, out = o + 4L * 64 * p;
                for (int j = 0; j < 32; j += 8) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B8, src, q + j, LE)
                            .convertShape(VectorOperators.B2I, I, 0);
                    ((FloatVector) v.and(15).convert(VectorOperators.I2F, 0)).fma(d1, m1)
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * j, LE);
                    ((FloatVector) v.lanewise(VectorOperators.ASHR, 4).and(15).convert(VectorOperators.I2F, 0))
                            .fma(d2, m2)
                            .reinterpretAsLongs().intoMemorySegment(dst, out + 4L * (32 + j), LE);
                }
            }
        }
    }

    /**
     * The 6-bit scale of sub-block {@code j} (0..7) from the 12 packed bytes, given as {@code lo} (bytes 0..7, little
     * endian) and {@code hi} (bytes 8..11): bytes 0..3 hold the scales of sub-blocks 0..3 in their low 6 bits,
     * bytes 4..7 their mins; sub-blocks 4..7 take their low 4 bits from the nibbles of bytes 8..11 (scale low, min
     * high) and their top 2 bits from the top bits of bytes 0..3 (scales) and 4..7 (mins). The same packing serves
     * Q5_K. Read as two words rather than byte by byte: this runs 16 times per 256 weights.
     */
    static int scale(long lo, int hi, int j) {
        if (j < 4) return (int) (lo >>> 8 * j) & 63;
        return (hi >>> 8 * (j - 4)) & 15 | ((int) (lo >>> 8 * (j - 4) + 6) & 3) << 4;
    }

    /** The 6-bit min of sub-block {@code j} (0..7); see {@link #scale}. */
    static int min(long lo, int hi, int j) {
        if (j < 4) return (int) (lo >>> 8 * (j + 4)) & 63;
        return (hi >>> 8 * (j - 4) + 4) & 15 | ((int) (lo >>> 8 * j + 6) & 3) << 4;
    }
}
