package io.moe4j.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code moe4j bench} with tiny shapes: the table, the JSON schema of issue #5, the report files, and bad options. */
class BenchCommandTest {
    @TempDir Path tmp;

    @Test
    void tinyRunPrintsTheTableAndWritesJsonAndReport() throws IOException {
        Path json = tmp.resolve("bench.json");
        Path report = tmp.resolve("report");
        CliRun run = CliRun.of("bench", "--shape", "64,32,8,2", "--shape", "48,16,4,1", "--dtype", "f32,bf16",
                "--tokens", "1,3", "--repeat", "2", "--threads", "2", "--json", json.toString(), "--report", report.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().isEmpty(), "no progress bar when stderr is not a terminal: " + run.err());
        List<String> rows = run.out().lines().filter(l -> l.startsWith("| 64,32,8,2") || l.startsWith("| 48,16,4,1")).toList();
        assertEquals(8, rows.size(), run.out());
        assertTrue(run.out().contains("machine: read "), run.out());
        for (String row : rows) assertEquals(15, row.split("\\|", -1).length, row); // 13 columns between 14 pipes

        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertTrue(root.path("machine").path("read_gb_per_s").asDouble() > 0);
        assertTrue(root.path("machine").path("fma_gflop_per_s").asDouble() > 0);
        assertEquals(8, root.path("rows").size());
        double readGb = root.path("machine").path("read_gb_per_s").asDouble();
        for (JsonNode r : root.path("rows")) {
            for (String key : List.of("shape", "dtype", "tokens", "ms_median", "tokens_per_s", "gb_per_s", "gflop_per_s",
                    "pct_read_bandwidth", "pct_fma_peak")) {
                assertTrue(r.has(key), "row lacks " + key + ": " + r);
            }
            assertTrue(r.path("ms_median").asDouble() > 0);
            assertEquals(r.path("tokens").asInt() / (r.path("ms_median").asDouble() / 1e3), r.path("tokens_per_s").asDouble(), 1e-6);
            assertEquals(100 * r.path("gb_per_s").asDouble() / readGb, r.path("pct_read_bandwidth").asDouble(), 1e-9);
        }
        JsonNode first = root.path("rows").get(0);
        assertEquals("64,32,8,2", first.path("shape").asText());
        assertEquals("f32", first.path("dtype").asText());
        assertEquals(1, first.path("tokens").asInt());
        assertEquals(2L * 3 * 64 * 32 * 4, first.path("bytes").asLong()); // one token, top-2: two f32 experts

        for (String file : List.of("index.html", "roofline.png", "routing.png")) {
            assertTrue(Files.size(report.resolve(file)) > 0, file);
        }
    }

    @Test
    void twinRowsCarryTheJavaOverCRatio() throws IOException {
        io.moe4j.bench.twin.Twin twin = io.moe4j.bench.twin.Twin.locate();
        org.junit.jupiter.api.Assumptions.assumeTrue(twin.isAvailable(), twin.unavailableReason());
        Path json = tmp.resolve("twin.json");
        CliRun run = CliRun.of("bench", "--shape", "64,128,4,2", "--dtype", "f32,bf16", "--tokens", "1,9", "--repeat", "2",
                "--twin", "--json", json.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().isEmpty(), "the twin agreed on every row: " + run.err());
        assertTrue(run.out().contains("| Java/C |"), run.out());
        JsonNode rows = new ObjectMapper().readTree(json.toFile()).path("rows");
        assertEquals(4, rows.size());
        for (JsonNode r : rows) {
            assertTrue(r.path("twin_ms_median").asDouble() > 0, r.toString());
            assertEquals(r.path("ms_median").asDouble() / r.path("twin_ms_median").asDouble(), r.path("java_over_c").asDouble(), 1e-9);
        }
    }

    @Test
    void twinSkipsRoutersItDoesNotCompute() {
        io.moe4j.bench.twin.Twin twin = io.moe4j.bench.twin.Twin.locate();
        org.junit.jupiter.api.Assumptions.assumeTrue(twin.isAvailable(), twin.unavailableReason());
        CliRun run = CliRun.of("bench", "--shape", "64,128,4,2", "--dtype", "f32", "--tokens", "2", "--repeat", "1",
                "--router", "expert_choice", "--twin");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.err().contains("the C twin computes the default softmax_topk router only"), run.err());
    }

    @Test
    void modelAloneGivesPrefillAndDecodeRows() throws IOException {
        Path model = Golden.dir().resolve("gguf").resolve("mixtral-tiny-f32.Q8_0.gguf");
        Path json = tmp.resolve("model.json");
        CliRun run = CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "5", "--decode-tokens", "3",
                "--repeat", "2", "--json", json.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("| pp5 |") && run.out().contains("| tg3 |"), run.out());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(0, root.path("rows").size(), "no layer rows without --shape");
        JsonNode m = root.path("model");
        assertEquals("q8_0", m.path("dtype").asText());
        assertEquals(5 / (m.path("prefill_ms_median").asDouble() / 1e3), m.path("prefill_tokens_per_s").asDouble(), 1e-6);
        assertEquals(3 / (m.path("decode_ms_median").asDouble() / 1e3), m.path("decode_tokens_per_s").asDouble(), 1e-6);
        // memory: the tensors' bytes (below the file's size), a KV cache of prompt + decode positions, RSS on Linux
        long weights = m.path("weight_bytes").asLong();
        assertTrue(weights > 0 && weights < Files.size(model), "weight_bytes " + weights);
        assertTrue(m.path("kv_cache_bytes").asLong() > 0 && m.path("kv_cache_bytes").asLong() % (2L * 8 * 4) == 0,
                "kv_cache_bytes " + m.path("kv_cache_bytes"));
        assertTrue(m.path("resident_bytes").asLong() > weights, "resident_bytes " + m.path("resident_bytes"));
        assertTrue(m.path("heap_bytes_per_decoded_token").asDouble() >= 0, m.toString());
        assertTrue(m.path("heap_bytes_per_decoded_token_max").asDouble() >= m.path("heap_bytes_per_decoded_token").asDouble(),
                m.toString());
        assertTrue(run.out().contains("memory: resident ") && run.out().contains("Java heap allocated per decoded token"), run.out());
    }

    @Test
    void badOptionsNameWhatIsWrong() {
        assertUsage("--dtype: unknown weight dtype 'f8'", "--dtype", "f8");
        assertUsage("--tokens: 'many' is not a batch size", "--tokens", "1,many");
        assertUsage("--tokens: 0 is not a positive batch size", "--tokens", "0");
        assertUsage("unknown shape 'gpt'", "--shape", "gpt");
        assertUsage("--router: unknown setting 'colour'", "--router", "softmax_topk,colour=red");
        assertUsage("--threads: 0 is not a positive thread count", "--threads", "0");
        assertUsage("--repeat: 0 is not a positive count", "--repeat", "0");
        assertUsage("--model: no such file or directory", "--model", tmp.resolve("nowhere").toString());
        assertUsage("moe.top_k = 9 exceeds the 8 experts", "--shape", "64,32,8,2", "--router", "softmax_topk,top_k=9");
    }

    private static void assertUsage(String expected, String... options) {
        String[] args = new String[options.length + 1];
        args[0] = "bench";
        System.arraycopy(options, 0, args, 1, options.length);
        CliRun run = CliRun.of(args);
        assertEquals(2, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().contains(expected), "expected '" + expected + "' in: " + run.err());
    }
}
