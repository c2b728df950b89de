package io.moe4j.bench;

import io.moe4j.engine.tensor.DType;

import java.util.List;

/**
 * What one {@code moe4j bench} run measures: every (shape, dtype, T) row in that order.
 *
 * @param repeat measured calls per row (warm-up calls come on top)
 * @param twin   also run the C twin on each row
 */
public record BenchPlan(List<LayerShape> shapes, List<DType> dtypes, List<Integer> tokens, RouterSpec router,
                        int threads, int repeat, long seed, boolean twin) {
    /** The embedded default: one Mixtral-8x7B layer, f32 and bf16, T ∈ {1, 32, 512}, 2 threads. */
    public static BenchPlan defaults() {
        return new BenchPlan(List.of(LayerShape.MIXTRAL), List.of(DType.F32, DType.BF16), List.of(1, 32, 512),
                RouterSpec.DEFAULT, 2, 5, 42, false);
    }

    public BenchPlan {
        shapes = List.copyOf(shapes);
        dtypes = List.copyOf(dtypes);
        tokens = List.copyOf(tokens);
        // No shapes is a plan too: `bench --model` alone measures the machine and the checkpoint only.
        if (dtypes.isEmpty() || tokens.isEmpty()) throw new IllegalArgumentException("nothing to measure");
        for (int t : tokens) if (t < 1) throw new IllegalArgumentException("--tokens: " + t + " is not a positive batch size");
        if (threads < 1) throw new IllegalArgumentException("--threads: " + threads + " is not a positive thread count");
        if (repeat < 1) throw new IllegalArgumentException("--repeat: " + repeat + " is not a positive count");
        for (LayerShape s : shapes) router.config(s); // a router that does not fit a shape fails before any work
    }

    public int rows() { return shapes.size() * dtypes.size() * tokens.size(); }
}
