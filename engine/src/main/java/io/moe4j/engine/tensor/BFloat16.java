package io.moe4j.engine.tensor;

/** Scalar bfloat16 conversions (the upper 16 bits of an IEEE float32). Vector kernels live in the CPU backend. */
public final class BFloat16 {
    private BFloat16() {}

    public static float toFloat(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** Round to nearest even, as PyTorch does; NaN stays a quiet NaN. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) return (short) ((bits >>> 16) | 0x0040);
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}
