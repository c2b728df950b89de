package io.moe4j.models.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moe4j.engine.sampling.Sampler;
import io.moe4j.engine.sampling.SamplingSettings;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.GoldenFiles;
import io.moe4j.models.format.Npy;
import io.moe4j.models.format.SafeTensorsCheckpoint;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GGUF files of the golden tiny models opened with {@link Model#open}: the shared Q8_0 Mixtral (llama.cpp's
 * converter) against its exact-dequantization logits, and F32 files we write from the safetensors originals the
 * converter's way (Mixtral as arch llama with q/k permuted and experts stacked; DBRX as arch dbrx with w2
 * permuted to [E, D, F]) against the originals' golden logits. Skips without {@code shared/golden}.
 */
class GgufModelGoldenTest {
    static final int[] PROMPT = {1, 17, 242, 99, 5, 300, 64};
    @TempDir Path tmp;

    @Test
    void sharedQ8_0FileGivesTheLogitsOfExactDequantization() throws IOException {
        Path file = GoldenFiles.require("gguf/mixtral-tiny-f32.Q8_0.gguf");
        Path expected = GoldenFiles.require("gguf/mixtral-tiny-f32.Q8_0");
        try (Model model = Model.open(file, 2); Session session = model.newSession(32); Arena arena = Arena.ofConfined()) {
            assertEquals("Q8_0", model.checkpoint().type("blk.0.ffn_gate_exps.weight"));
            assertEquals("llama", model.config().architecture());
            assertEquals(8, model.config().experts());
            Tensor logits = Tensor.allocate(arena, DType.F32, 1, model.config().vocab());
            session.prefill(new int[]{1}, logits);
            double worst = maxDiff(logits, Npy.read(expected.resolve("p1.logits.npy"), arena));
            System.out.println("Q8_0 golden: max |logit - expected| = " + worst);
            assertTrue(worst <= 1e-4, "max |logit − expected| = " + worst);
            session.reset();
            int[] greedy = session.generate(new int[]{1}, 16, new Sampler(SamplingSettings.greedy()), new int[0], null);
            assertArrayEquals(greedy(expected.resolve("p1.greedy.json")), greedy);
        }
    }

    @Test
    void f32FileWrittenFromTheSafetensorsGivesTheirGoldenLogits() throws IOException {
        Path dir = GoldenFiles.require("models/mixtral-tiny-f32");
        Path gguf = tmp.resolve("mixtral-tiny-f32.gguf");
        try (Model hf = Model.open(dir, 2); SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir);
             Arena arena = Arena.ofConfined()) {
            LlamaGguf.writer(hf.config(), st::tensor, arena, "llama", Set.of()).write(gguf);
        }
        try (Model model = Model.open(gguf, 2); Session session = model.newSession(64); Arena arena = Arena.ofConfined()) {
            assertEquals("F32", model.checkpoint().type("blk.1.attn_q.weight"));
            Tensor logits = Tensor.allocate(arena, DType.F32, PROMPT.length, model.config().vocab());
            session.prefill(PROMPT, logits);
            double worst = maxDiff(logits, Npy.read(dir.resolve("expected/p7.logits.npy"), arena));
            System.out.println("F32 GGUF from safetensors: max |logit - expected| = " + worst);
            assertTrue(worst <= 1e-4, "max |logit − expected| = " + worst);
            session.reset();
            int[] greedy = session.generate(PROMPT, 16, new Sampler(SamplingSettings.greedy()), new int[0], null);
            assertArrayEquals(greedy(dir.resolve("expected/p7.greedy.json")), greedy);
        }
    }

    @Test
    void dbrxF32FileWrittenFromTheSafetensorsGivesTheirGoldenLogits() throws IOException {
        Path dir = GoldenFiles.require("models/dbrx-tiny-f32");
        Path gguf = tmp.resolve("dbrx-tiny-f32.gguf");
        try (Model hf = Model.open(dir, 2); SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir);
             Arena arena = Arena.ofConfined()) {
            DbrxGguf.writer(hf.config(), st::tensor, arena).write(gguf);
        }
        try (Model model = Model.open(gguf, 2); Session session = model.newSession(64); Arena arena = Arena.ofConfined()) {
            assertEquals("dbrx", model.config().architecture());
            assertEquals(2f, model.config().clipQkv());
            Tensor logits = Tensor.allocate(arena, DType.F32, PROMPT.length, model.config().vocab());
            session.prefill(PROMPT, logits);
            double worst = maxDiff(logits, Npy.read(dir.resolve("expected/p7.logits.npy"), arena));
            System.out.println("DBRX F32 GGUF from safetensors: max |logit - expected| = " + worst);
            assertTrue(worst <= 1e-4, "max |logit − expected| = " + worst);
            session.reset();
            int[] greedy = session.generate(PROMPT, 16, new Sampler(SamplingSettings.greedy()), new int[0], null);
            assertArrayEquals(greedy(dir.resolve("expected/p7.greedy.json")), greedy);
        }
    }

    @Test
    void fileWithoutThePermutationDoesNotGiveTheGoldenLogits() throws IOException {
        // Guards the test above: the loader really un-permutes, so q/k stored in HF's order come out scrambled and
        // the logits move at positions > 0 (RoPE is the identity at position 0).
        Path dir = GoldenFiles.require("models/mixtral-tiny-f32");
        Path plain = tmp.resolve("unpermuted.gguf");
        try (Model hf = Model.open(dir, 2); SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir);
             Arena arena = Arena.ofConfined()) {
            LlamaGguf.writer(hf.config(), st::tensor, arena, "llama", Set.of(), false).write(plain);
        }
        try (Model model = Model.open(plain, 2); Session session = model.newSession(64); Arena arena = Arena.ofConfined()) {
            Tensor logits = Tensor.allocate(arena, DType.F32, PROMPT.length, model.config().vocab());
            session.prefill(PROMPT, logits);
            assertTrue(maxDiff(logits, Npy.read(dir.resolve("expected/p7.logits.npy"), arena)) > 1e-3);
        }
    }

    static double maxDiff(Tensor got, Tensor want) {
        assertEquals(Arrays.toString(want.shape()), Arrays.toString(got.shape()));
        float[] g = got.toFloatArray(), w = want.toFloatArray();
        double worst = 0;
        for (int i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]));
        return worst;
    }

    static int[] greedy(Path json) throws IOException {
        JsonNode node = new ObjectMapper().readTree(json.toFile()).get("greedy");
        int[] ids = new int[node.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = node.get(i).asInt();
        return ids;
    }
}
