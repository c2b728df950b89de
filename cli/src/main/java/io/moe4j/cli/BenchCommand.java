package io.moe4j.cli;

import io.moe4j.bench.Bench;
import io.moe4j.bench.BenchJson;
import io.moe4j.bench.BenchPlan;
import io.moe4j.bench.BenchResult;
import io.moe4j.bench.BenchRow;
import io.moe4j.bench.BenchTable;
import io.moe4j.bench.LayerShape;
import io.moe4j.bench.MachineLimits;
import io.moe4j.bench.RouterSpec;
import io.moe4j.engine.tensor.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe4j bench}: the machine's limits, then MoE layer rows (and a checkpoint's pp/tg) measured against them
 * in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the machine (read bandwidth, FMA peak), then MoE layers with random weights made in memory",
                "against those limits. Default: one Mixtral-8x7B layer (D=4096, F=14336, E=8, k=2), f32 and bf16,",
                "T = 1, 32, 512, 2 threads."})
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--shape", paramLabel = "mixtral|dbrx|D,F,E,k",
            description = "Layer shape; repeat for several (default mixtral; none when --model is given without --shape).")
    List<String> shapes = new ArrayList<>();

    @Option(names = "--dtype", paramLabel = "LIST", defaultValue = "f32,bf16", description = "Expert weight dtypes: f32, bf16, f16 (default ${DEFAULT-VALUE}).")
    String dtypes;

    @Option(names = "--tokens", paramLabel = "LIST", defaultValue = "1,32,512", description = "Batch sizes T (default ${DEFAULT-VALUE}).")
    String tokens;

    @Option(names = "--router", paramLabel = "NAME[,key=value...]", defaultValue = "softmax_topk",
            description = "Any router of the contract with its moe.* settings, e.g. switch,capacity_factor=1.25 (default ${DEFAULT-VALUE}).")
    String router;

    @Option(names = "--threads", defaultValue = "2", description = "Engine threads, also used to measure the machine (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--repeat", defaultValue = "5", description = "Measured calls per row, after warm-up (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random weights and inputs (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Write every number, the machine and versions as JSON.")
    Path json;

    @Option(names = "--report", paramLabel = "DIR", description = "Write a roofline plot, a routing heatmap (PNG) and an HTML page.")
    Path report;

    @Option(names = "--model", paramLabel = "DIR", description = "Also measure prefill and decode tokens/s on this checkpoint.")
    Path model;

    @Option(names = "--prompt-tokens", defaultValue = "64", description = "Prompt length of the --model prefill test (default ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--decode-tokens", defaultValue = "32", description = "Tokens decoded in the --model decode test (default ${DEFAULT-VALUE}).")
    int decodeTokens;

    @Option(names = "--twin", description = "Also run the C twin on each row and print the Java/C time ratio (Java is timed before and after the twin).")
    boolean twin;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BenchPlan plan = plan();
        if (model != null && !Files.exists(model)) throw usage("--model: no such file or directory: " + model);
        if (report != null && Files.exists(report) && !Files.isDirectory(report)) throw usage("--report: not a directory: " + report);
        Bench.ModelPlan modelPlan = model == null ? null : new Bench.ModelPlan(model, promptTokens, decodeTokens);
        Bench.TwinStep twinStep = twin ? io.moe4j.bench.TwinRows.create() : null;
        out.printf("moe4j bench: %d layer rows (%s), router %s, %d threads, %d measured runs per row%s%n", plan.rows(),
                layerShapes().isEmpty() ? "none" : String.join(" ", layerShapes()), plan.router().text(), plan.threads(), plan.repeat(),
                model == null ? "" : ", then " + model);
        out.flush();
        BenchResult result = Bench.run(plan, Version.project(), modelPlan, twinStep, TerminalProgress.forStderr(err),
                new Bench.Listener() {
                    BenchTable table;

                    @Override
                    public void machine(MachineLimits machine) {
                        table = new BenchTable(machine, twin);
                        out.println(BenchTable.machineLine(machine));
                        out.println();
                        out.println(table.header());
                        out.flush();
                    }

                    @Override
                    public void row(BenchRow row) {
                        out.println(table.line(row));
                        out.flush();
                    }

                    @Override
                    public void note(String message) {
                        err.println("moe4j bench: " + message);
                        err.flush();
                    }
                });
        if (result.model() != null) {
            out.println();
            out.println(BenchTable.modelLines(result.model()));
        }
        if (json != null) {
            BenchJson.write(json, result);
            out.println();
            out.println("wrote " + json);
        }
        if (report != null) {
            Path index = io.moe4j.bench.report.Report.write(report, result);
            out.println("wrote " + index);
        }
        out.flush();
        return 0;
    }

    private BenchPlan plan() {
        try {
            List<LayerShape> shapeList = new ArrayList<>();
            for (String s : layerShapes()) shapeList.add(LayerShape.parse(s));
            List<DType> dtypeList = new ArrayList<>();
            for (String d : split("--dtype", dtypes)) {
                DType type = switch (d.toLowerCase(Locale.ROOT)) {
                    case "f32" -> DType.F32;
                    case "bf16" -> DType.BF16;
                    case "f16" -> DType.F16;
                    default -> throw new IllegalArgumentException("--dtype: unknown weight dtype '" + d + "' (f32, bf16, f16)");
                };
                if (dtypeList.contains(type)) throw new IllegalArgumentException("--dtype: " + d + " given twice");
                dtypeList.add(type);
            }
            List<Integer> tokenList = new ArrayList<>();
            for (String t : split("--tokens", tokens)) {
                try {
                    tokenList.add(Integer.parseInt(t));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--tokens: '" + t + "' is not a batch size");
                }
            }
            return new BenchPlan(shapeList, dtypeList, tokenList, RouterSpec.parse(router), threads, repeat, seed, twin);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** Like llama-bench: a model alone is measured alone; layer rows run by default or when asked for. */
    private List<String> layerShapes() {
        if (!shapes.isEmpty()) return shapes;
        return model == null ? List.of("mixtral") : List.of();
    }

    private static List<String> split(String option, String text) {
        List<String> parts = new ArrayList<>();
        for (String p : text.split(",")) if (!p.isBlank()) parts.add(p.strip());
        if (parts.isEmpty()) throw new IllegalArgumentException(option + " is empty");
        return parts;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
