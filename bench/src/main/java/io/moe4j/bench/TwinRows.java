package io.moe4j.bench;

import io.moe4j.bench.twin.OutputSums;
import io.moe4j.bench.twin.Twin;
import io.moe4j.bench.twin.TwinCheck;
import io.moe4j.bench.twin.TwinException;
import io.moe4j.bench.twin.TwinResult;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.tensor.DType;

import java.lang.foreign.Arena;

/**
 * {@code --twin}: after each Java row, the C twin runs the same row (same shape, dtype, batch, seed, threads and
 * number of measured calls) and must agree with Java on where tokens went and on the output's sums before its time
 * is put beside Java's. Rows the twin cannot compute (other routers, f16) keep no twin time, with a note.
 *
 * <p>Java is then timed again for as many calls, and its row keeps both sets (Java, C, Java): this VM's speed
 * drifts by tens of percent within minutes (identical C runs took 276 or 400 ms a few minutes apart), and timing
 * Java on both sides of C makes a drift weigh on both times alike instead of on their ratio.
 */
public final class TwinRows implements Bench.TwinStep {
    /** Warm-up calls of the twin: its code is compiled ahead of time, so this only touches memory and caches. */
    static final int TWIN_WARMUP = 2;

    private final Twin twin;
    private boolean unavailableNoted;

    private TwinRows(Twin twin) {
        this.twin = twin;
    }

    public static TwinRows create() {
        return new TwinRows(Twin.locate());
    }

    @Override
    public BenchRow run(BenchRow row, BenchLayer layer, WorkerPool pool, BenchPlan plan, Progress progress,
                        Bench.Listener listener) {
        String reason = twin.unavailableReason();
        if (reason != null) {
            if (!unavailableNoted) listener.note(reason + "; rows have no C times");
            unavailableNoted = true;
            return row;
        }
        if (plan.router().kind() != RouterKind.SOFTMAX_TOPK || !plan.router().settings().isEmpty()) {
            listener.note("the C twin computes the default softmax_topk router only; no C time for " + plan.router().text());
            return row;
        }
        if (layer.dtype() != DType.F32 && layer.dtype() != DType.BF16) {
            listener.note("the C twin has f32 and bf16 weights only; no C time for " + row.dtype());
            return row;
        }
        // The twin makes its own copy of the weights while the Java layer still holds its own.
        long twinBytes = layer.dtype().bytesFor(layer.shape().expertElements() * layer.shape().experts());
        long free = freeMemoryBytes();
        if (free > 0 && twinBytes > free) {
            listener.note("the C twin would need " + twinBytes / (1 << 20) + " MiB for its weights, only " + free / (1 << 20)
                    + " MiB of memory are available; no C time for " + row.shape() + " " + row.dtype());
            return row;
        }
        TwinResult result;
        try {
            result = twin.run(layer.shape(), layer.dtype(), row.tokens(), plan.threads(), plan.repeat(), TWIN_WARMUP, plan.seed());
        } catch (TwinException e) {
            listener.note(e.getMessage());
            return row;
        }
        TwinCheck check = result.check(row.expertLoad(), javaSums(layer, pool, row.tokens()));
        if (!check.agrees()) {
            listener.note("the C twin disagrees with Java on " + row.shape() + " " + row.dtype() + " T=" + row.tokens()
                    + ": " + check.describe() + "; its time is not shown");
            return row;
        }
        double[] after = LayerRun.remeasure(layer, pool, row.tokens(), plan.repeat(), progress);
        return row.withMoreRuns(after).withTwin(result.timing());
    }

    /** MemAvailable of /proc/meminfo, or 0 when unknown (then the twin just runs). */
    private static long freeMemoryBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (java.io.IOException | RuntimeException e) {
            // Not Linux: nothing to check against.
        }
        return 0;
    }

    /** Java's output sums on the row's batch: one more, untimed call. */
    private static OutputSums javaSums(BenchLayer layer, WorkerPool pool, int tokens) {
        try (Arena arena = Arena.ofShared()) {
            BenchLayer.Batch batch = layer.batch(arena, pool, tokens);
            layer.layer().forward(batch.x(), batch.ids(), batch.y(), new RoutingStats(layer.layer().config().numExperts()));
            return OutputSums.of(batch.y());
        }
    }
}
