package io.moe4j.models.gguf;

import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.nn.Norm;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.ModelConfig;
import io.moe4j.models.hf.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GGUF files that are not a model moe4j can run fail at {@link Model#open} with an error naming what is wrong. */
class GgufModelErrorsTest {
    static final ModelConfig TINY = new ModelConfig("llama", 16, 2, 2, 1, 8, 32, 4, 2, Normalize.L1, 40, 10000,
            Norm.Kind.RMS, 1e-5f, 0, 0f, 128, -1, new int[0], false);
    @TempDir Path tmp;

    private Path write(String arch, String... omit) throws IOException {
        Path file = tmp.resolve("tiny.gguf");
        try (Arena arena = Arena.ofConfined()) {
            LlamaGguf.writer(TINY, LlamaGguf.random(TINY, arena, 7), arena, arch, Set.of(omit)).write(file);
        }
        return file;
    }

    private FormatException failure(Path file) {
        return assertThrows(FormatException.class, () -> Model.open(file, 1).close());
    }

    @Test
    void aWellFormedFileOpensAndRuns() throws IOException {
        try (Model model = Model.open(write("llama"), 1); Session session = model.newSession(8)) {
            assertEquals(TINY.vocab(), model.config().vocab());
            assertEquals(TINY.kvHeads(), model.config().kvHeads());
            assertEquals(1, model.checkpoint().files());
            Tensor logits = session.prefill(new int[]{3, 5, 7}, null);
            assertTrue(Float.isFinite(logits.getFloat(0, 0)));
        }
    }

    @Test
    void withoutAnOutputTensorTheHeadIsTiedToTheEmbedding() throws IOException {
        try (Model model = Model.open(write("llama", "output.weight"), 1); Session session = model.newSession(8);
             Arena arena = Arena.ofConfined()) {
            assertTrue(model.config().tiedEmbeddings());
            Tensor logits = Tensor.allocate(arena, DType.F32, 1, TINY.vocab());
            session.prefill(new int[]{3}, logits);
            assertTrue(Float.isFinite(logits.getFloat(0, 39)));
        }
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        FormatException e = failure(write("llama", "blk.1.ffn_down_exps.weight"));
        assertTrue(e.getMessage().contains("'blk.1.ffn_down_exps.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("tiny.gguf"), e.getMessage());
    }

    @Test
    void missingEmbeddingIsNamed() throws IOException {
        FormatException e = failure(write("llama", "token_embd.weight"));
        assertTrue(e.getMessage().contains("'token_embd.weight'"), e.getMessage());
    }

    @Test
    void unsupportedArchitectureIsNamed() throws IOException {
        FormatException e = failure(write("qwen2moe"));
        assertTrue(e.getMessage().contains("'qwen2moe' is not supported"), e.getMessage());
    }

    @Test
    void missingMetadataKeyIsNamed() throws IOException {
        FormatException e = failure(write("llama", "llama.attention.layer_norm_rms_epsilon"));
        assertTrue(e.getMessage().contains("'llama.attention.layer_norm_rms_epsilon' is missing"), e.getMessage());
    }

    @Test
    void denseLlamaIsRefusedByName() throws IOException {
        FormatException e = failure(write("llama", "llama.expert_count"));
        assertTrue(e.getMessage().contains("'llama.expert_count' is missing"), e.getMessage());
        assertTrue(e.getMessage().contains("dense"), e.getMessage());
    }

    @Test
    void aMissingGgufFileIsReportedAsItself() {
        Path missing = tmp.resolve("absent.gguf");
        java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class, () -> Model.open(missing, 1));
        assertEquals(missing.toString(), e.getFile());
    }

    @Test
    void missingArchitectureKeyIsNamed() throws IOException {
        FormatException e = failure(write("llama", "general.architecture"));
        assertTrue(e.getMessage().contains("'general.architecture' is missing"), e.getMessage());
    }
}
