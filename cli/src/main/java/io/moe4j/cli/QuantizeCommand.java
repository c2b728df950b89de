package io.moe4j.cli;

import io.moe4j.bench.Progress;
import io.moe4j.models.format.gguf.GgmlType;
import io.moe4j.models.gguf.GgufConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code moe4j quantize}: a Hugging Face checkpoint directory written as a Q8_0 or Q4_0 GGUF file (see
 * {@link GgufConverter}), with a progress bar on a terminal and a one-line summary on stdout.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write a Hugging Face checkpoint as a GGUF file with Q8_0 or Q4_0 weights "
                + "(norms and router weights stay F32).")
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A Hugging Face model directory.")
    Path model;

    @Option(names = "--type", required = true, paramLabel = "TYPE", converter = ModelOptions.QuantType.class,
            description = "q8_0 or q4_0.")
    GgmlType as;

    @Option(names = "--output", required = true, paramLabel = "OUT.gguf",
            description = "The GGUF file to write (replaced atomically if it exists).")
    Path output;

    @Option(names = "--threads", description = "Threads converting tensors (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws Exception {
        int n = Threads.resolve(threads);
        if (!Files.isDirectory(model)) {
            throw usage("--model " + model + " is not a directory (a Hugging Face checkpoint with config.json)");
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw usage("--output " + output + ": the folder " + parent + " does not exist");
        }
        if (Files.isDirectory(output)) throw usage("--output " + output + " is a directory");
        PrintWriter out = spec.commandLine().getOut();
        Progress bar = TerminalProgress.forStderr(spec.commandLine().getErr());
        GgufConverter.Summary summary;
        try {
            summary = GgufConverter.convert(model, as, output, n, new GgufConverter.Progress() {
                @Override public void start(int tensors, long bytesIn) { bar.start("quantize " + as, bytesIn); }
                @Override public void advance(long bytesIn) { bar.advance(bytesIn); }
                @Override public void tensor(String name, GgmlType t, long bytesOut) {}
            });
        } finally {
            bar.finish();
        }
        out.printf(Locale.ROOT, "%s: %d tensors (%d %s, %d F32), %s in, %s out%n", output, summary.tensors(),
                summary.quantized(), as, summary.tensors() - summary.quantized(), mib(summary.bytesIn()),
                mib(summary.bytesOut()));
        if (!summary.keptF32().isEmpty()) {
            out.println("kept F32 (row length not a multiple of 32): " + String.join(", ", summary.keptF32()));
        }
        return 0;
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
