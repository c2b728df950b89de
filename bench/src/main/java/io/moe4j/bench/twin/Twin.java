package io.moe4j.bench.twin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moe4j.bench.LayerShape;
import io.moe4j.bench.Timing;
import io.moe4j.engine.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The C twin of the benchmark ({@code native/src/main/c/moe4j_twin.c}): the same MoE layer forward on the same
 * oneDNN primitives, as a separate program, so that the Java/C time ratio of a row measures what the JVM path costs.
 *
 * <p>Where the binary is: the system property {@value #PROPERTY} (the {@code ./moe4j} launcher sets it to the
 * repository's {@code native/target/twin/moe4j-twin}), else the environment variable {@value #ENV}, else
 * {@code native/target/twin/moe4j-twin} under the working directory. The native module's build writes it there, or,
 * when it could not (no gcc, a compile error), a file {@code moe4j-twin.unavailable} beside it saying why, which
 * {@link #unavailableReason()} reports.
 *
 * <p>Immutable and thread-safe; each {@link #run} starts one process.
 */
public final class Twin {
    public static final String PROPERTY = "moe4j.twin";
    public static final String ENV = "MOE4J_TWIN";
    /** Where the native module's build puts the binary, relative to the repository root. */
    public static final Path BUILD_PATH = Path.of("native", "target", "twin", "moe4j-twin");
    /** Long enough for a Mixtral layer's weights (5.6 GB in f32) plus warm-up and repeats at T = 512 on 2 cores. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(15);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path binary;
    private final String origin;
    private final Duration timeout;

    private Twin(Path binary, String origin, Duration timeout) {
        this.binary = binary;
        this.origin = origin;
        this.timeout = timeout;
    }

    /** The twin configured for this process (see the class comment); it may be unavailable. */
    public static Twin locate() {
        return locate(System.getProperty(PROPERTY), System.getenv(ENV), Path.of(""));
    }

    static Twin locate(String property, String env, Path workingDirectory) {
        if (property != null && !property.isBlank()) return new Twin(Path.of(property.strip()), "-D" + PROPERTY, DEFAULT_TIMEOUT);
        if (env != null && !env.isBlank()) return new Twin(Path.of(env.strip()), ENV, DEFAULT_TIMEOUT);
        return new Twin(workingDirectory.resolve(BUILD_PATH), null, DEFAULT_TIMEOUT);
    }

    /** The twin at {@code binary}. */
    public static Twin at(Path binary) {
        return new Twin(binary, null, DEFAULT_TIMEOUT);
    }

    /** This twin with another limit on one run's wall-clock time. */
    public Twin withTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive, got " + timeout);
        return new Twin(binary, origin, timeout);
    }

    public Path binary() { return binary; }

    public Duration timeout() { return timeout; }

    public boolean isAvailable() {
        return unavailableReason() == null;
    }

    /**
     * Why the twin cannot run, as a sentence for the user (e.g. {@code C twin not built: gcc was not found when
     * the project was built …}), or null when it can.
     */
    public String unavailableReason() {
        if (Files.isRegularFile(binary)) {
            return Files.isExecutable(binary) ? null : "C twin " + binary + " is not executable";
        }
        Path reason = binary.resolveSibling(binary.getFileName() + ".unavailable");
        if (Files.isRegularFile(reason)) {
            try {
                return "C twin not built: " + Files.readString(reason, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                return "C twin not built (and " + reason + " cannot be read: " + e.getMessage() + ")";
            }
        }
        if (origin != null) return "C twin not found at " + binary + " (set by " + origin + ")";
        return "C twin not found at " + binary + ": build the project (./moe4j or mvn package) with gcc installed";
    }

    /**
     * Runs the twin on one row: the layer of {@code shape} with {@code dtype} expert weights and the default
     * ({@code softmax_topk}, l1) router, random weights and input of {@code seed}, {@code warmup} untimed then
     * {@code repeat} timed forward calls on a batch of {@code tokens}, with {@code threads} threads.
     *
     * @throws IllegalArgumentException for a dtype the twin does not compute (it has f32 and bf16) or a bad count
     * @throws TwinException            when the twin is unavailable, fails, times out or prints no valid result; the
     *                                  message includes what it wrote on stderr
     */
    public TwinResult run(LayerShape shape, DType dtype, int tokens, int threads, int repeat, int warmup, long seed) {
        List<String> command = command(shape, dtype, tokens, threads, repeat, warmup, seed);
        String reason = unavailableReason();
        if (reason != null) throw new TwinException(reason);
        ProcessBuilder builder = new ProcessBuilder(command);
        Map<String, String> env = builder.environment();
        // As OneDnnLibrary does for the JVM: idle OpenMP threads sleep rather than spin on our threads' cores.
        env.putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new TwinException("cannot start the C twin " + binary + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            CompletableFuture<String> stdout = drain(process.getInputStream());
            CompletableFuture<String> stderr = drain(process.getErrorStream());
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
                throw new TwinException("the C twin did not finish within " + describe(timeout) + ": " + String.join(" ", command));
            }
            int status = process.exitValue();
            String err = stderr.get().strip();
            String out = stdout.get();
            if (status != 0) throw new TwinException(failure(status, err, command));
            return parse(out, shape, repeat, err);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TwinException("interrupted while the C twin ran", e);
        } catch (ExecutionException | IOException e) {
            process.destroyForcibly();
            throw new TwinException("cannot read the C twin's output: " + e.getMessage(), e);
        }
    }

    List<String> command(LayerShape shape, DType dtype, int tokens, int threads, int repeat, int warmup, long seed) {
        if (dtype != DType.F32 && dtype != DType.BF16) {
            throw new IllegalArgumentException("the C twin computes f32 and bf16 weights, not " + dtype.name().toLowerCase(Locale.ROOT));
        }
        if (tokens < 1 || threads < 1 || repeat < 1 || warmup < 0) {
            throw new IllegalArgumentException("C twin: tokens, threads and repeat must be positive and warmup not negative, got T="
                    + tokens + ", threads=" + threads + ", repeat=" + repeat + ", warmup=" + warmup);
        }
        List<String> command = new ArrayList<>();
        command.add(binary.toAbsolutePath().toString());
        add(command, "--shape", shape.model() + "," + shape.ffn() + "," + shape.experts() + "," + shape.topK());
        add(command, "--dtype", dtype.name().toLowerCase(Locale.ROOT));
        add(command, "--tokens", Integer.toString(tokens));
        add(command, "--threads", Integer.toString(threads));
        add(command, "--repeat", Integer.toString(repeat));
        add(command, "--warmup", Integer.toString(warmup));
        add(command, "--seed", Long.toString(seed));
        return command;
    }

    private static void add(List<String> command, String option, String value) {
        command.add(option);
        command.add(value);
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> text = new CompletableFuture<>();
        Thread.ofVirtual().name("moe4j-twin-output").start(() -> {
            try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.completeExceptionally(e);
            }
        });
        return text;
    }

    /** The twin's exit status as a sentence: 2 = bad arguments, 1 = a failed run (oneDNN status named), else a crash. */
    static String failure(int status, String stderr, List<String> command) {
        String said = stderr.isEmpty() ? "(nothing on stderr)" : stderr;
        return switch (status) {
            case 2 -> "the C twin rejected its arguments (" + String.join(" ", command.subList(1, command.size())) + "): " + said;
            case 1 -> "the C twin failed: " + said;
            default -> status > 128
                    ? "the C twin crashed (signal " + (status - 128) + "): " + said
                    : "the C twin exited with status " + status + ": " + said;
        };
    }

    /** The last non-blank line of stdout as the twin's JSON result, checked against what was asked. */
    static TwinResult parse(String stdout, LayerShape shape, int repeat, String stderr) {
        String line = stdout.strip();
        int newline = line.lastIndexOf('\n');
        if (newline >= 0) line = line.substring(newline + 1).strip();
        String context = stderr.isEmpty() ? "" : " (stderr: " + stderr + ")";
        if (line.isEmpty()) throw new TwinException("the C twin printed no result" + context);
        JsonNode json;
        try {
            json = JSON.readTree(line);
        } catch (IOException e) {
            throw new TwinException("the C twin printed something that is not JSON: '" + abbreviate(line) + "'" + context, e);
        }
        JsonNode ms = json.path("ms"), load = json.path("expert_load");
        if (!ms.isArray() || ms.size() != repeat) {
            throw new TwinException("the C twin's result has no 'ms' array of " + repeat + " times: '" + abbreviate(line) + "'");
        }
        if (!load.isArray() || load.size() != shape.experts()) {
            throw new TwinException("the C twin's result has no 'expert_load' array of " + shape.experts() + " counts: '"
                    + abbreviate(line) + "'");
        }
        double[] times = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            JsonNode t = ms.get(i);
            if (!t.isNumber() || !(t.asDouble() >= 0)) throw new TwinException("the C twin reported a bad time: " + t);
            times[i] = t.asDouble();
        }
        long[] loads = new long[shape.experts()];
        for (int e = 0; e < loads.length; e++) {
            JsonNode n = load.get(e);
            if (!n.canConvertToLong() || !n.isIntegralNumber()) throw new TwinException("the C twin reported a bad expert load: " + n);
            loads[e] = n.asLong();
        }
        return new TwinResult(new Timing(times), loads, sum(json, "checksum", line), sum(json, "abs_checksum", line));
    }

    /** A number, or null for a NaN or infinite sum (JSON has no such numbers): then NaN. */
    private static double sum(JsonNode json, String field, String line) {
        JsonNode n = json.get(field);
        if (n == null) throw new TwinException("the C twin's result has no '" + field + "': '" + abbreviate(line) + "'");
        if (n.isNull()) return Double.NaN;
        if (!n.isNumber()) throw new TwinException("the C twin's '" + field + "' is not a number: " + n);
        return n.asDouble();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    private static String describe(Duration d) {
        long s = d.toSeconds();
        return s >= 60 && s % 60 == 0 ? s / 60 + " min" : d.toMillis() < 1000 ? d.toMillis() + " ms" : s + " s";
    }

    @Override
    public String toString() {
        return "Twin[" + binary + (origin == null ? "" : " from " + origin) + "]";
    }
}
