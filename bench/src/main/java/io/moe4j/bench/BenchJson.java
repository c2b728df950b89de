package io.moe4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --json FILE}: every number of a run, with the machine and versions, for tracking over time. The keys are a
 * public interface (issue #5): {@code machine.read_gb_per_s}, {@code machine.fma_gflop_per_s}, and per row
 * {@code shape, dtype, tokens, ms_median, tokens_per_s, gb_per_s, gflop_per_s, pct_read_bandwidth, pct_fma_peak};
 * the other keys are additions.
 */
public final class BenchJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchJson() {}

    public static ObjectNode toJson(BenchResult result) {
        ObjectNode root = MAPPER.createObjectNode();
        Environment env = result.environment();
        ObjectNode machine = root.putObject("machine");
        machine.put("read_gb_per_s", result.machine().readGbPerS());
        machine.put("fma_gflop_per_s", result.machine().fmaGflopPerS());
        machine.put("threads", result.machine().threads());
        machine.put("cpu", env.cpu());
        machine.put("cores", env.cores());
        machine.put("os", env.os());
        ObjectNode versions = root.putObject("versions");
        versions.put("moe4j", env.moe4j());
        versions.put("java", env.java());
        versions.put("onednn", env.onednn());
        root.put("started", env.started());
        ArrayNode rows = root.putArray("rows");
        for (BenchRow r : result.rows()) rows.add(row(r, result.machine()));
        if (result.model() != null) root.set("model", model(result.model()));
        return root;
    }

    public static void write(Path file, BenchResult result) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new IOException("--json: no such directory: " + parent);
        MAPPER.writeValue(file.toFile(), toJson(result));
    }

    private static ObjectNode row(BenchRow r, MachineLimits machine) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("shape", r.shape());
        o.put("dtype", r.dtype());
        o.put("tokens", r.tokens());
        o.put("router", r.router());
        o.put("ms_median", r.msMedian());
        o.put("ms_min", r.timing().min());
        o.put("ms_max", r.timing().max());
        ArrayNode runs = o.putArray("ms_runs");
        for (double v : r.timing().ms()) runs.add(v);
        o.put("tokens_per_s", r.tokensPerS());
        o.put("gb_per_s", r.gbPerS());
        o.put("gflop_per_s", r.gflopPerS());
        o.put("pct_read_bandwidth", r.pctReadBandwidth(machine));
        o.put("pct_fma_peak", r.pctFmaPeak(machine));
        o.put("bytes", r.cost().bytes());
        o.put("flops", r.cost().flops());
        o.put("experts_used", r.expertsUsed());
        ArrayNode load = o.putArray("expert_load");
        for (long l : r.expertLoad()) load.add(l);
        o.put("load_spread", r.loadSpread());
        o.put("dropped", r.dropped());
        if (r.twin() != null) {
            o.put("twin_ms_median", r.twin().median());
            o.put("twin_ms_min", r.twin().min());
            o.put("twin_ms_max", r.twin().max());
            o.put("java_over_c", r.javaOverC());
        }
        return o;
    }

    private static ObjectNode model(ModelResult m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("model", m.model());
        o.put("dtype", m.dtype());
        o.put("prompt_tokens", m.promptTokens());
        o.put("prefill_ms_median", m.prefill().median());
        o.put("prefill_tokens_per_s", m.prefillTokensPerS());
        o.put("decode_tokens", m.decodeTokens());
        o.put("decode_ms_median", m.decode().median());
        o.put("decode_tokens_per_s", m.decodeTokensPerS());
        if (m.memory() != null) {
            o.put("resident_bytes", m.memory().residentBytes());
            o.put("weight_bytes", m.memory().weightBytes());
            o.put("kv_cache_bytes", m.memory().kvCacheBytes());
            o.put("heap_bytes_per_decoded_token", m.memory().heapBytesPerToken());
            o.put("heap_bytes_per_decoded_token_max", m.memory().heapBytesPerTokenMax());
        }
        return o;
    }
}
