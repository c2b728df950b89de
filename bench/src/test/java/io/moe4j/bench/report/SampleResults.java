package io.moe4j.bench.report;

import io.moe4j.bench.BenchResult;
import io.moe4j.bench.BenchRow;
import io.moe4j.bench.Environment;
import io.moe4j.bench.LayerShape;
import io.moe4j.bench.MachineLimits;
import io.moe4j.bench.ModelResult;
import io.moe4j.bench.RoutingMap;
import io.moe4j.bench.RowCost;
import io.moe4j.bench.Timing;
import io.moe4j.engine.tensor.DType;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Hand-built benchmark results for the report tests: a Mixtral-shaped layer in f32 and bf16 at T = 1, 32 and 512,
 * with times from a simple roofline model of a 20 GB/s, 150 GFLOP/s machine and top-2 softmax routing.
 */
final class SampleResults {
    static final MachineLimits MACHINE = new MachineLimits(20, 150, 2);
    static final int[] TOKENS = {1, 32, 512};

    private SampleResults() {}

    static BenchResult mixtral(boolean withTwin, ModelResult model) {
        return new BenchResult(environment("Test CPU @ 3.0GHz"), MACHINE, rows(LayerShape.MIXTRAL, "softmax_topk", withTwin), model);
    }

    static Environment environment(String cpu) {
        return new Environment(cpu, 2, "Linux 6.1 amd64", "OpenJDK 64-Bit Server VM 25", "0.1.0-SNAPSHOT", "3.13",
                2, "2025-01-01T00:00:00Z");
    }

    static List<BenchRow> rows(LayerShape shape, String router, boolean withTwin) {
        List<BenchRow> rows = new ArrayList<>();
        for (DType dtype : List.of(DType.F32, DType.BF16)) {
            for (int tokens : TOKENS) rows.add(row(shape, dtype, tokens, router, withTwin));
        }
        return rows;
    }

    static BenchRow row(LayerShape shape, DType dtype, int tokens, String router, boolean withTwin) {
        RoutingMap routing = topKRouting(tokens, shape.experts(), shape.topK(), tokens * 31L + shape.experts());
        long[] load = new long[shape.experts()];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < shape.experts(); e++) if (routing.weight(t, e) > 0) load[e]++;
        }
        RowCost cost = RowCost.of(shape, dtype, load);
        // 80 % of read bandwidth or 60 % of the FMA peak, whichever is slower, with ±3 % run-to-run noise.
        double ms = 1e3 * Math.max(cost.bytes() / (0.8 * MACHINE.readGbPerS() * 1e9),
                cost.flops() / (0.6 * MACHINE.fmaGflopPerS() * 1e9));
        Timing timing = new Timing(new double[] {ms * 1.01, ms, ms * 0.97, ms * 1.03, ms * 1.002});
        Timing twin = withTwin ? new Timing(new double[] {ms * 0.99, ms * 0.985, ms * 0.995}) : null;
        return new BenchRow(shape.name(), dtype.name().toLowerCase(java.util.Locale.ROOT), tokens, router, timing, cost,
                load, 0, routing, twin);
    }

    /** Softmax over random logits, top k kept and renormalised, as the default router does. */
    static RoutingMap topKRouting(int tokens, int experts, int k, long seed) {
        Random random = new Random(seed);
        float[] weights = new float[tokens * experts];
        double[] logits = new double[experts];
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) logits[e] = random.nextGaussian() * 1.5 + (e == 3 ? 0.8 : 0);
            Integer[] order = new Integer[experts];
            for (int e = 0; e < experts; e++) order[e] = e;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
            double sum = 0;
            for (int i = 0; i < k; i++) sum += Math.exp(logits[order[i]]);
            for (int i = 0; i < k; i++) weights[t * experts + order[i]] = (float) (Math.exp(logits[order[i]]) / sum);
        }
        return new RoutingMap(tokens, experts, weights);
    }
}
