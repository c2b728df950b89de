package io.moe4j.cli;

import io.moe4j.engine.nn.KvCache;
import io.moe4j.engine.tensor.DType;
import io.moe4j.models.hf.Checkpoint;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code moe4j inspect}: what a checkpoint is and what running it costs. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Architecture, sizes, dtypes and the memory plan of a model directory.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions model;

    @Option(names = "--context", defaultValue = "4096", description = "Context length for the memory plan (default ${DEFAULT-VALUE}).")
    int context;

    @Override
    public Integer call() throws Exception {
        if (context < 1) throw new IllegalArgumentException("--context must be at least 1, got " + context);
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = model.open()) {
            ModelConfig c = m.config();
            Checkpoint ckpt = m.checkpoint();
            out.printf("model          %s%n", m.directory());
            out.printf("architecture   %s%n", c.architecture());
            out.printf("layers         %d%n", c.layers());
            out.printf("hidden         %d (head dim %d)%n", c.hidden(), c.headDim());
            out.printf("heads          %d query, %d key/value%n", c.heads(), c.kvHeads());
            out.printf("experts        %d per layer, top-%d, FFN width %d%n", c.experts(), c.topK(), c.ffn());
            out.printf("vocabulary     %d%n", c.vocab());
            out.printf("rope theta     %s%s%n", c.ropeTheta(), c.slidingWindow() > 0 ? ", sliding window " + c.slidingWindow() : "");
            out.printf("parameters     %s total, %s active per token%n", human(c.parameters()), human(c.activeParameters()));
            Map<String, long[]> byType = new TreeMap<>();
            long mapped = 0;
            for (String name : ckpt.names()) {
                byType.computeIfAbsent(ckpt.type(name), k -> new long[2])[0]++;
                byType.get(ckpt.type(name))[1] += ckpt.byteSize(name);
                mapped += ckpt.byteSize(name);
            }
            out.printf("shards         %d%n", ckpt.files());
            for (var e : byType.entrySet()) {
                out.printf("dtype %-8s %d tensors, %s%n", e.getKey(), e.getValue()[0], bytes(e.getValue()[1]));
            }
            boolean f32Norms = byType.keySet().stream().allMatch(t -> t.equals(DType.F32.name()));
            long normCopies = f32Norms ? 0 : (2L * c.layers() + 1) * c.hidden() * 4;
            long kv = KvCache.bytes(c.layers(), context, c.kvHeads(), c.headDim());
            out.println();
            out.printf("memory plan for a context of %d tokens:%n", context);
            out.printf("  weights      %s mapped from the checkpoint, used in place%n", bytes(mapped));
            out.printf("  copies       %s (%s)%n", bytes(normCopies + routerCopies(c)),
                    (f32Norms ? "" : "norm weights as float32 for the norm kernels; ") + "router weights as float32, router math is float32");
            out.printf("  KV cache     %s per conversation (float32)%n", bytes(kv));
            out.printf("  total        %s for one conversation%n", bytes(mapped + normCopies + routerCopies(c) + kv));
        }
        return 0;
    }

    private static long routerCopies(ModelConfig c) {
        return (long) c.layers() * c.experts() * c.hidden() * 4;
    }

    static String human(long n) {
        if (n >= 1_000_000_000L) return String.format("%.2fB", n / 1e9);
        if (n >= 1_000_000L) return String.format("%.2fM", n / 1e6);
        if (n >= 1_000L) return String.format("%.1fK", n / 1e3);
        return Long.toString(n);
    }

    static String bytes(long n) {
        if (n >= 1L << 30) return String.format("%.2f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format("%.2f MiB", n / (double) (1L << 20));
        if (n >= 1L << 10) return String.format("%.1f KiB", n / 1024.0);
        return n + " B";
    }
}
