package io.moe4j.bench;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code moe4j bench} run: measure the machine, then every row of the plan (and the checkpoint, when given)
 * against it, in the same process and with the same threads. Rows are handed to the listener as they finish, so a
 * table can be printed while the run goes on.
 */
public final class Bench {
    /** Hears about results as they come. */
    public interface Listener {
        default void machine(MachineLimits machine) {}

        default void row(BenchRow row) {}

        /** Something the user should know that is not a number (a skipped twin, …). */
        default void note(String message) {}
    }

    /** End-to-end settings for {@code --model}. */
    public record ModelPlan(Path directory, int promptTokens, int decodeTokens) {}

    private Bench() {}

    /**
     * @param model    also measure this checkpoint end to end; may be null
     * @param twinStep runs the C twin on a measured row, returning the row with the twin's times; may be null
     */
    public static BenchResult run(BenchPlan plan, String moe4jVersion, ModelPlan model, TwinStep twinStep,
                                  Progress progress, Listener listener) throws IOException {
        List<BenchRow> rows = new ArrayList<>();
        MachineLimits machine;
        Environment environment;
        try (WorkerPool pool = new WorkerPool(plan.threads()); CpuBackend backend = CpuBackend.create(plan.threads())) {
            environment = Environment.current(moe4jVersion, backend.oneDnn().version(), plan.threads());
            progress.start("measuring the machine", 1);
            machine = MachineProbe.measure(pool);
            progress.finish();
            listener.machine(machine);
            for (LayerShape shape : plan.shapes()) {
                for (DType dtype : plan.dtypes()) {
                    try (BenchLayer layer = BenchLayer.create(backend, pool, shape, dtype, plan.router(), plan.seed(), progress)) {
                        for (int tokens : plan.tokens()) {
                            BenchRow row = LayerRun.measure(layer, pool, tokens, plan.repeat(), plan.router().text(), progress);
                            if (twinStep != null) row = twinStep.run(row, layer, pool, plan, progress, listener);
                            rows.add(row);
                            listener.row(row);
                        }
                    }
                }
            }
        }
        ModelResult modelResult = model == null ? null
                : ModelRun.measure(model.directory(), plan.threads(), model.promptTokens(), model.decodeTokens(), plan.repeat(), progress);
        return new BenchResult(environment, machine, rows, modelResult);
    }

    /** The C twin's part of a row (kept behind an interface so the harness runs where the twin is not built). */
    public interface TwinStep {
        BenchRow run(BenchRow row, BenchLayer layer, WorkerPool pool, BenchPlan plan, Progress progress, Listener listener);
    }
}
