package io.moe4j.engine.tensor;

import java.util.Arrays;

/** Checks and arithmetic on shapes ({@code long[]} dims, outermost first). */
public final class Shape {
    private Shape() {}

    /** Number of elements; throws on a negative dim or on overflow. */
    public static long elements(long... shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n = Math.multiplyExact(n, shape[i]);
        }
        return n;
    }

    /** Row-major strides in elements. */
    public static long[] rowMajorStrides(long... shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s = Math.multiplyExact(s, Math.max(shape[i], 1));
        }
        return strides;
    }

    public static String toString(long... shape) {
        return Arrays.toString(shape);
    }
}
