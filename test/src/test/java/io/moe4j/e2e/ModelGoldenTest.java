package io.moe4j.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moe4j.engine.sampling.Sampler;
import io.moe4j.engine.sampling.SamplingSettings;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.Npy;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The golden tiny Mixtral and DBRX checkpoints: logits at every prompt position within 1e-4 absolute of the
 * float64 reference, and the 16 greedy tokens exactly — through the Java API and through the CLI.
 */
class ModelGoldenTest {
    static final int[] PROMPT = {1, 17, 242, 99, 5, 300, 64};
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"mixtral-tiny-f32", "dbrx-tiny-f32"})
    void throughTheApi(String name) throws IOException {
        Path dir = Golden.dir().resolve("models").resolve(name);
        try (Model model = Model.open(dir, 2); Session session = model.newSession(64); Arena arena = Arena.ofConfined()) {
            Tensor logits = Tensor.allocate(arena, DType.F32, PROMPT.length, model.config().vocab());
            session.prefill(PROMPT, logits);
            assertLogits(dir, logits, arena);
            session.reset();
            int[] greedy = session.generate(PROMPT, 16, new Sampler(SamplingSettings.greedy()), new int[0], null);
            assertArrayEquals(expectedGreedy(dir), greedy);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mixtral-tiny-f32", "dbrx-tiny-f32"})
    void throughTheCli(String name) throws IOException {
        Path dir = Golden.dir().resolve("models").resolve(name);
        Path out = tmp.resolve("logits.npy");
        String ids = String.join(",", Arrays.stream(PROMPT).mapToObj(Integer::toString).toList());
        CliRun logits = CliRun.of("logits", "--model", dir.toString(), "--tokens", ids, "--output", out.toString(), "--threads", "2");
        assertEquals(0, logits.exitCode(), logits.err());
        try (Arena arena = Arena.ofConfined()) {
            assertLogits(dir, Npy.read(out, arena), arena);
        }
        CliRun generate = CliRun.of("generate", "--model", dir.toString(), "--tokens", ids, "--max-tokens", "16");
        assertEquals(0, generate.exitCode(), generate.err());
        int[] got = Arrays.stream(generate.out().lines().findFirst().orElseThrow().trim().split(" ")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(expectedGreedy(dir), got);
        CliRun streamed = CliRun.of("generate", "--model", dir.toString(), "--tokens", ids, "--max-tokens", "16", "--stream");
        assertEquals(generate.out(), streamed.out());
    }

    private static void assertLogits(Path dir, Tensor logits, Arena arena) throws IOException {
        Tensor expected = Npy.read(dir.resolve("expected/p7.logits.npy"), arena);
        assertEquals(Arrays.toString(expected.shape()), Arrays.toString(logits.shape()));
        float[] got = logits.toFloatArray(), want = expected.toFloatArray();
        double worst = 0;
        for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        assertTrue(worst <= 1e-4, "max |logit − expected| = " + worst);
    }

    private static int[] expectedGreedy(Path dir) throws IOException {
        JsonNode json = new ObjectMapper().readTree(dir.resolve("expected/p7.greedy.json").toFile());
        int[] ids = new int[json.get("greedy").size()];
        for (int i = 0; i < ids.length; i++) ids[i] = json.get("greedy").get(i).asInt();
        return ids;
    }
}
