package io.moe4j.engine.backend.check;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Checks a backend's matmul against a plain double-precision Java reference, once per weight path: each weight
 * dtype at small M (GEMV paths) and large M (GEMM paths). Used by {@code moe4j info} to prove, on the user's
 * machine, that the native libraries load and compute the right numbers.
 */
public final class MatmulSelfCheck {
    /** Error bound relative to {@code Σ|x||w|} of the output: float32 accumulation over K terms stays far below. */
    public static final double TOLERANCE = 1e-5;

    private MatmulSelfCheck() {}

    /** One checked product. */
    public record Result(DType weights, int m, int n, int k, double maxRelativeError) {
        public boolean passed() { return maxRelativeError <= TOLERANCE; }
    }

    public static List<Result> run(Backend backend) {
        List<Result> results = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.BF16, DType.F16)) {
            for (int m : new int[] {1, 4, 64}) results.add(check(backend, dtype, m, 384, 1024, 42 + m));
        }
        return results;
    }

    private static void fill(Tensor t, SplittableRandom random, Arena arena) {
        float[] values = new float[(int) t.size()];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextDouble(-1, 1);
        Tensor.ofFloats(arena, values, t.shape()).copyTo(t);
    }

    public static Result check(Backend backend, DType wType, int m, int n, int k, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.allocate(arena, DType.F32, m, k);
            Tensor w = Tensor.allocate(arena, wType, n, k);
            Tensor y = Tensor.allocate(arena, DType.F32, m, n);
            fill(x, random, arena);
            fill(w, random, arena);
            backend.matmul(x, w, y);
            backend.synchronize();
            float[] xs = x.toFloatArray(), ws = w.toFloatArray(), ys = y.toFloatArray();
            double worst = 0;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0, magnitude = 0;
                    for (int l = 0; l < k; l++) {
                        double p = (double) xs[i * k + l] * ws[j * k + l];
                        sum += p;
                        magnitude += Math.abs(p);
                    }
                    double error = Math.abs(ys[i * n + j] - sum) / Math.max(magnitude, Double.MIN_NORMAL);
                    if (!(error <= worst)) worst = Double.isNaN(error) ? Double.POSITIVE_INFINITY : error;
                }
            }
            return new Result(wType, m, n, k, worst);
        }
    }
}
