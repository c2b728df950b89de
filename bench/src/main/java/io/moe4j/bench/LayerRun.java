package io.moe4j.bench;

import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.moe.RoutingTrace;
import io.moe4j.engine.tensor.DType;

import java.lang.foreign.Arena;

/** Times one row: repeated forward calls of one layer on one batch. */
final class LayerRun {
    private LayerRun() {}

    static BenchRow measure(BenchLayer bench, WorkerPool pool, int tokens, int repeat, String router, Progress progress) {
        MoeLayer layer = bench.layer();
        int experts = layer.config().numExperts();
        try (Arena arena = Arena.ofShared()) {
            BenchLayer.Batch batch = bench.batch(arena, pool, tokens);
            RoutingStats stats = new RoutingStats(experts);
            progress.start(bench.shape().name() + " " + dtypeName(bench.dtype()) + " T=" + tokens, repeat);
            Warmup.run(() -> layer.forward(batch.x(), batch.ids(), batch.y(), stats));
            double[] ms = time(layer, batch, stats, repeat, progress);
            progress.finish();
            // One more, untimed call records the routing map, so tracing never touches a timed call.
            RoutingTrace trace = new RoutingTrace(experts);
            layer.forward(batch.x(), batch.ids(), batch.y(), null, trace);
            long[] loads = stats.expertLoads();
            return new BenchRow(bench.shape().name(), dtypeName(bench.dtype()), tokens, router, new Timing(ms),
                    RowCost.of(bench.shape(), bench.dtype(), loads), loads, stats.dropped(),
                    new RoutingMap(trace.tokens(), experts, trace.toArray()), null);
        }
    }

    /**
     * {@code repeat} more timed calls of a row already measured by {@link #measure} (so already warm: one untimed
     * call only), on the same batch; used to take Java's times on both sides of the C twin's.
     */
    static double[] remeasure(BenchLayer bench, WorkerPool pool, int tokens, int repeat, Progress progress) {
        MoeLayer layer = bench.layer();
        try (Arena arena = Arena.ofShared()) {
            BenchLayer.Batch batch = bench.batch(arena, pool, tokens);
            progress.start(bench.shape().name() + " " + dtypeName(bench.dtype()) + " T=" + tokens + " again", repeat);
            layer.forward(batch.x(), batch.ids(), batch.y(), null);
            double[] ms = time(layer, batch, null, repeat, progress);
            progress.finish();
            return ms;
        }
    }

    private static double[] time(MoeLayer layer, BenchLayer.Batch batch, RoutingStats stats, int repeat,
                                 Progress progress) {
        double[] ms = new double[repeat];
        for (int r = 0; r < repeat; r++) {
            long start = System.nanoTime();
            layer.forward(batch.x(), batch.ids(), batch.y(), stats);
            ms[r] = (System.nanoTime() - start) / 1e6;
            progress.advance(1);
        }
        return ms;
    }

    static String dtypeName(DType type) {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }
}
