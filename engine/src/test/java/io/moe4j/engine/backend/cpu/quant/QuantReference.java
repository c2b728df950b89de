package io.moe4j.engine.backend.cpu.quant;

import io.moe4j.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Straightforward scalar dequantization written from the ggml format descriptions, independent of the production
 * code (its own half decoder, byte-by-byte indexing, no vectors): one weight at a time, in float32, each operation
 * rounded in ggml's order (Java never fuses a multiply and an add).
 */
final class QuantReference {
    private QuantReference() {}

    /** IEEE binary16 → float, decoded from the fields. */
    static float half(int bits) {
        int sign = (bits >> 15) & 1, exp = (bits >> 10) & 31, frac = bits & 1023;
        float magnitude;
        if (exp == 31) magnitude = frac == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
        else if (exp == 0) magnitude = Math.scalb((float) frac, -24);
        else magnitude = Math.scalb((float) (1024 + frac), exp - 25);
        return sign == 1 ? -magnitude : magnitude;
    }

    static int u8(MemorySegment s, long off) {
        return s.get(ValueLayout.JAVA_BYTE, off) & 0xff;
    }

    static float half(MemorySegment s, long off) {
        return half(u8(s, off) | u8(s, off + 1) << 8);
    }

    /** Weight {@code i} of the row of {@code type} blocks starting at byte {@code row}. */
    static float weight(DType type, MemorySegment s, long row, int i) {
        long b = row + (long) (i / type.blockSize()) * type.blockBytes();
        int j = i % type.blockSize();
        return switch (type) {
            case Q8_0 -> half(s, b) * (float) s.get(ValueLayout.JAVA_BYTE, b + 2 + j);
            case Q4_0 -> {
                int code = j < 16 ? u8(s, b + 2 + j) & 15 : u8(s, b + 2 + j - 16) >> 4;
                yield (float) (code - 8) * half(s, b);
            }
            case Q4_K -> {
                int sub = j / 32, l = j % 32, pair = sub / 2;
                int qs = u8(s, b + 16 + 32 * pair + l);
                int code = sub % 2 == 0 ? qs & 15 : qs >> 4;
                float d1 = half(s, b) * kScale(s, b + 4, sub), m1 = half(s, b + 2) * kMin(s, b + 4, sub);
                yield d1 * (float) code - m1;
            }
            case Q5_K -> {
                int sub = j / 32, l = j % 32, pair = sub / 2;
                int ql = u8(s, b + 48 + 32 * pair + l);
                int code = (sub % 2 == 0 ? ql & 15 : ql >> 4) + ((u8(s, b + 16 + l) >> sub & 1) == 1 ? 16 : 0);
                float d1 = half(s, b) * kScale(s, b + 4, sub), m1 = half(s, b + 2) * kMin(s, b + 4, sub);
                yield d1 * (float) code - m1;
            }
            case Q6_K -> {
                int half = j / 128, r = j % 128, quarter = r / 32, l = r % 32;
                long ql = b + 64 * half, qh = b + 128 + 32 * half, sc = b + 192 + 8 * half;
                int low = switch (quarter) {
                    case 0 -> u8(s, ql + l) & 15;
                    case 1 -> u8(s, ql + 32 + l) & 15;
                    case 2 -> u8(s, ql + l) >> 4;
                    default -> u8(s, ql + 32 + l) >> 4;
                };
                int high = (u8(s, qh + l) >> (2 * quarter)) & 3;
                int code = (low | high << 4) - 32;
                float scale = s.get(ValueLayout.JAVA_BYTE, sc + l / 16 + 2 * quarter);
                yield half(s, b + 208) * scale * (float) code;
            }
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /** 6-bit scale of sub-block j of the 12 packed Q4_K/Q5_K scale bytes at {@code q}. */
    static int kScale(MemorySegment s, long q, int j) {
        return j < 4 ? u8(s, q + j) & 63 : (u8(s, q + j + 4) & 15) | (u8(s, q + j - 4) >> 6) << 4;
    }

    /** 6-bit min of sub-block j. */
    static int kMin(MemorySegment s, long q, int j) {
        return j < 4 ? u8(s, q + j + 4) & 63 : (u8(s, q + j + 4) >> 4) | (u8(s, q + j) >> 6) << 4;
    }

    /** All weights of a row of {@code count} elements. */
    static float[] row(DType type, MemorySegment s, long row, int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) out[i] = weight(type, s, row, i);
        return out;
    }
}
