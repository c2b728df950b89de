package io.moe4j.bench;

import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.moe.RoutingTrace;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;

/** Times one row: repeated forward calls of one layer on one batch. */
final class LayerRun {
    private LayerRun() {}

    static BenchRow measure(BenchLayer bench, WorkerPool pool, int tokens, int repeat, String router, Progress progress) {
        MoeLayer layer = bench.layer();
        int experts = layer.config().numExperts();
        try (Arena arena = Arena.ofShared()) { // shared: the pool's threads fill x
            Tensor x = bench.input(arena, pool, tokens);
            Tensor ids = bench.tokenIds(arena, tokens);
            Tensor y = Tensor.allocate(arena, DType.F32, tokens, bench.shape().model());
            RoutingStats stats = new RoutingStats(experts);
            progress.start(bench.shape().name() + " " + dtypeName(bench.dtype()) + " T=" + tokens, repeat);
            Warmup.run(() -> layer.forward(x, ids, y, stats));
            double[] ms = time(layer, x, ids, y, stats, repeat, progress);
            progress.finish();
            // One more, untimed call records the routing map, so tracing never touches a timed call.
            RoutingTrace trace = new RoutingTrace(experts);
            layer.forward(x, ids, y, null, trace);
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
            Tensor x = bench.input(arena, pool, tokens);
            Tensor ids = bench.tokenIds(arena, tokens);
            Tensor y = Tensor.allocate(arena, DType.F32, tokens, bench.shape().model());
            progress.start(bench.shape().name() + " " + dtypeName(bench.dtype()) + " T=" + tokens + " again", repeat);
            layer.forward(x, ids, y, null);
            double[] ms = time(layer, x, ids, y, null, repeat, progress);
            progress.finish();
            return ms;
        }
    }

    private static double[] time(MoeLayer layer, Tensor x, Tensor ids, Tensor y, RoutingStats stats, int repeat,
                                 Progress progress) {
        double[] ms = new double[repeat];
        for (int r = 0; r < repeat; r++) {
            long start = System.nanoTime();
            layer.forward(x, ids, y, stats);
            ms[r] = (System.nanoTime() - start) / 1e6;
            progress.advance(1);
        }
        return ms;
    }

    static String dtypeName(DType type) {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }
}
