package io.moe4j.e2e;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad checkpoints and bad flags give one-line errors that name what is wrong. */
class ModelCommandErrorsTest {
    @TempDir Path tmp;

    @Test
    void brokenCheckpoints() throws IOException {
        Path golden = Golden.dir().resolve("models").resolve("mixtral-tiny-f32");
        Path empty = Files.createDirectory(tmp.resolve("empty"));
        assertError("config.json", "logits", "--model", empty.toString(), "--tokens", "1,2", "--output", tmp.resolve("l.npy").toString());

        Path unknown = Files.createDirectory(tmp.resolve("unknown"));
        Files.writeString(unknown.resolve("config.json"), "{\"architectures\": [\"GPT2LMHeadModel\"]}");
        assertError("GPT2LMHeadModel", "inspect", "--model", unknown.toString());

        Path truncated = Files.createDirectory(tmp.resolve("truncated"));
        Files.copy(golden.resolve("config.json"), truncated.resolve("config.json"));
        byte[] bytes = Files.readAllBytes(golden.resolve("model.safetensors"));
        Files.write(truncated.resolve("model.safetensors"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertError("model.safetensors", "logits", "--model", truncated.toString(), "--tokens", "1", "--output", tmp.resolve("l.npy").toString());

        Path missing = Files.createDirectory(tmp.resolve("missing-shard"));
        Files.copy(golden.resolve("config.json"), missing.resolve("config.json"));
        Files.writeString(missing.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"lm_head.weight\": \"model-00001-of-00002.safetensors\"}}");
        assertError("model-00001-of-00002.safetensors", "inspect", "--model", missing.toString());

        Path wrongShape = Files.createDirectory(tmp.resolve("wrong-shape"));
        Files.writeString(wrongShape.resolve("config.json"),
                Files.readString(golden.resolve("config.json")).replace("\"intermediate_size\": 128", "\"intermediate_size\": 96"));
        Files.copy(golden.resolve("model.safetensors"), wrongShape.resolve("model.safetensors"));
        assertError("experts.0.w1.weight", "inspect", "--model", wrongShape.toString());
    }

    @Test
    void badFlags() {
        Path golden = Golden.dir().resolve("models").resolve("mixtral-tiny-f32");
        assertError("not a token id", "logits", "--model", golden.toString(), "--tokens", "1,x", "--output", tmp.resolve("l.npy").toString());
        assertError("outside the vocabulary", "logits", "--model", golden.toString(), "--tokens", "1,320", "--output", tmp.resolve("l.npy").toString());
        assertError("temperature", "generate", "--model", golden.toString(), "--tokens", "1", "--temperature", "-1");
        assertError("tokenizer.json", "generate", "--model", golden.toString(), "--prompt", "hello");
    }

    private static void assertError(String mention, String... args) {
        CliRun run = CliRun.of(args);
        assertTrue(run.exitCode() != 0, "exit code 0 for " + String.join(" ", args));
        String err = run.err().strip();
        assertTrue(err.contains(mention), "'" + err + "' should mention " + mention);
        assertEquals(1, err.lines().count(), err);
    }
}
