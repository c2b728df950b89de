package io.moe4j.bench.twin;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.ValueLayout;

/**
 * The two numbers by which the Java layer's output and the C twin's are compared: {@code Σ y} and {@code Σ |y|} over
 * a {@code [T, D]} float32 output, summed in double in row-major order (the order the twin sums in).
 */
public record OutputSums(double sum, double absSum) {

    /** The sums of {@code y}, an F32 {@code [T, D]} tensor with contiguous rows. */
    public static OutputSums of(Tensor y) {
        if (y.rank() != 2) throw new IllegalArgumentException("output sums need y [T, D], got " + y);
        y.requireDType(DType.F32, "y");
        long rows = y.dim(0), cols = y.dim(1);
        if (cols > 1 && y.stride(1) != 1) throw new IllegalArgumentException("output sums need contiguous rows, got " + y);
        double sum = 0, abs = 0;
        for (long r = 0; r < rows; r++) {
            long base = r * y.stride(0);
            for (long c = 0; c < cols; c++) {
                float v = y.segment().getAtIndex(ValueLayout.JAVA_FLOAT, base + c);
                sum += v;
                abs += Math.abs((double) v);
            }
        }
        return new OutputSums(sum, abs);
    }
}
