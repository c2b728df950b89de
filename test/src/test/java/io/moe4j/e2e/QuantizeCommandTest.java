package io.moe4j.e2e;

import io.moe4j.models.format.Npy;
import io.moe4j.models.hf.Model;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code moe4j quantize} on the golden tiny Mixtral, then {@code logits --model OUT.gguf}: the file loads, its
 * tensors have the asked type, and the logits stay within the Q8_0 scale bound derived in the models module's
 * {@code GgufConverterTest} (0.25 on logits up to 7.9; the exact-dequantization check lives there). Bad options
 * are usage errors (exit 2) naming the option. {@code --quantize} on a model command quantizes a checkpoint at load and
 * gives the written file's logits bit for bit.
 */
class QuantizeCommandTest {
    @TempDir Path tmp;

    private static Path mixtral() { return Golden.dir().resolve("models").resolve("mixtral-tiny-f32"); }

    @Test
    void quantizedFileGivesLogitsThroughTheCli() throws IOException {
        Path gguf = tmp.resolve("tiny.Q8_0.gguf");
        CliRun run = CliRun.of("quantize", "--model", mixtral().toString(), "--type", "q8_0", "--output", gguf.toString(),
                "--threads", "2");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("23 tensors (16 Q8_0, 7 F32)"), run.out());
        assertEquals("", run.err()); // no bar without a terminal
        try (Model model = Model.open(gguf, 1)) {
            assertEquals("Q8_0", model.checkpoint().type("blk.0.ffn_up_exps.weight"));
            assertEquals("F32", model.checkpoint().type("blk.1.ffn_gate_inp.weight"));
        }
        Path logits = tmp.resolve("logits.npy");
        CliRun l = CliRun.of("logits", "--model", gguf.toString(), "--tokens", "1,17,242,99,5,300,64", "--output",
                logits.toString(), "--threads", "2");
        assertEquals(0, l.exitCode(), l.err());
        try (Arena arena = Arena.ofConfined()) {
            float[] got = Npy.read(logits, arena).toFloatArray();
            float[] want = Npy.read(mixtral().resolve("expected/p7.logits.npy"), arena).toFloatArray();
            assertEquals(want.length, got.length);
            double worst = 0;
            for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
            assertTrue(worst <= 0.25, "max |logit − golden f32| = " + worst);
        }
    }

    @Test
    void q4_0IsAcceptedInAnyCaseAndReplacesAnExistingOutput() throws IOException {
        Path gguf = tmp.resolve("tiny.gguf");
        Files.writeString(gguf, "old");
        CliRun run = CliRun.of("quantize", "--model", mixtral().toString(), "--type", "Q4_0", "--output", gguf.toString());
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("16 Q4_0"), run.out());
        try (Model model = Model.open(gguf, 1)) {
            assertEquals("Q4_0", model.checkpoint().type("token_embd.weight"));
        }
    }

    @Test
    void quantizeAtLoadGivesTheLogitsOfTheWrittenFile() throws IOException {
        Path gguf = tmp.resolve("tiny.Q4_0.gguf");
        assertEquals(0, CliRun.of("quantize", "--model", mixtral().toString(), "--type", "q4_0", "--output", gguf.toString()).exitCode());
        Path fromFile = tmp.resolve("file.npy"), atLoad = tmp.resolve("load.npy");
        CliRun f = CliRun.of("logits", "--model", gguf.toString(), "--tokens", "1,17,242", "--output", fromFile.toString(), "--threads", "2");
        assertEquals(0, f.exitCode(), f.err());
        CliRun q = CliRun.of("logits", "--model", mixtral().toString(), "--quantize", "Q4_0", "--tokens", "1,17,242", "--output",
                atLoad.toString(), "--threads", "2");
        assertEquals(0, q.exitCode(), q.err());
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(Npy.read(fromFile, arena).toFloatArray(), Npy.read(atLoad, arena).toFloatArray());
        }
        CliRun inspect = CliRun.of("inspect", "--model", mixtral().toString(), "--quantize", "q8_0");
        assertEquals(0, inspect.exitCode(), inspect.err());
        assertTrue(inspect.out().contains("Q8_0"), inspect.out());

        CliRun bad = CliRun.of("logits", "--model", mixtral().toString(), "--quantize", "q6_k", "--tokens", "1", "--output", atLoad.toString());
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--quantize") && bad.err().contains("must be q8_0 or q4_0, got 'q6_k'"), bad.err());
        CliRun file = CliRun.of("logits", "--model", gguf.toString(), "--quantize", "q8_0", "--tokens", "1", "--output", atLoad.toString());
        assertEquals(1, file.exitCode());
        assertTrue(file.err().contains("needs a Hugging Face checkpoint directory"), file.err());
    }

    @Test
    void badOptionsAreUsageErrors() throws IOException {
        Path out = tmp.resolve("out.gguf");
        CliRun type = CliRun.of("quantize", "--model", mixtral().toString(), "--type", "q5_k", "--output", out.toString());
        assertEquals(2, type.exitCode());
        assertTrue(type.err().contains("--type") && type.err().contains("must be q8_0 or q4_0, got 'q5_k'"), type.err());

        CliRun dir = CliRun.of("quantize", "--model", tmp.resolve("nowhere").toString(), "--type", "q8_0", "--output", out.toString());
        assertEquals(2, dir.exitCode());
        assertTrue(dir.err().contains("is not a directory"), dir.err());

        CliRun folder = CliRun.of("quantize", "--model", mixtral().toString(), "--type", "q8_0", "--output",
                tmp.resolve("missing").resolve("out.gguf").toString());
        assertEquals(2, folder.exitCode());
        assertTrue(folder.err().contains("does not exist"), folder.err());

        CliRun missing = CliRun.of("quantize", "--model", mixtral().toString(), "--output", out.toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().contains("--type"), missing.err());

        Path empty = Files.createDirectory(tmp.resolve("empty"));
        CliRun noConfig = CliRun.of("quantize", "--model", empty.toString(), "--type", "q8_0", "--output", out.toString());
        assertEquals(1, noConfig.exitCode());
        assertTrue(noConfig.err().startsWith("moe4j quantize: ") && noConfig.err().contains("config.json"), noConfig.err());
        assertFalse(Files.exists(out));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count()); // only "empty": no temporary file left behind
        }
    }
}
