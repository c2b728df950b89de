package io.moe4j.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code moe4j layer} end to end on the golden layer cases, with the golden README's tolerances:
 * |y − expected| ≤ 1e-5 + 1e-5·|expected|; loads and drops exact; aux/z-loss and entropy to 1e-5 relative.
 */
class LayerCommandTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"mixtral_top2", "switch_cap", "expert_choice", "hierarchical_dense"})
    void goldenCasesThroughTheCli(String name) throws IOException {
        Path y = tmp.resolve(name + ".y.npy");
        Path stats = tmp.resolve(name + ".stats.json");
        CliRun run = CliRun.of("layer", "--layer", Golden.layer(name + ".safetensors").toString(),
                "--input", Golden.layer(name + ".x.npy").toString(), "--output", y.toString(),
                "--stats", stats.toString(), "--threads", "2");
        assertEquals(0, run.exitCode(), run.err());
        try (Arena arena = Arena.ofConfined()) {
            Tensor actual = Npy.read(y, arena);
            Tensor expected = Npy.read(Golden.layer(name + ".y.npy"), arena);
            assertEquals(DType.F32, actual.dtype());
            assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()));
            float[] a = actual.toFloatArray(), e = expected.toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertTrue(Math.abs(a[i] - e[i]) <= 1e-5 + 1e-5 * Math.abs(e[i]),
                        name + " y[" + i + "] = " + a[i] + ", expected " + e[i]);
            }
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode got = json.readTree(stats.toFile());
        JsonNode want = json.readTree(Golden.layer(name + ".stats.json").toFile());
        assertEquals(want.get("expert_load").size(), got.get("expert_load").size());
        for (int i = 0; i < want.get("expert_load").size(); i++) {
            assertEquals(want.get("expert_load").get(i).asDouble(), got.get("expert_load").get(i).asDouble(), 0, "expert_load");
        }
        assertEquals(want.get("dropped").asLong(), got.get("dropped").asLong());
        for (String key : new String[] {"aux_loss", "z_loss", "entropy"}) {
            double w = want.get(key).asDouble();
            assertEquals(w, got.get(key).asDouble(), 1e-5 * Math.abs(w), key);
        }
    }

    @Test
    void badInputsAreOneLineErrors() throws IOException {
        Path layer = Golden.layer("mixtral_top2.safetensors");
        Path x = Golden.layer("mixtral_top2.x.npy");
        Path out = tmp.resolve("y.npy");
        assertError(1, "missing.npy", "layer", "--layer", layer.toString(), "--input", tmp.resolve("missing.npy").toString(), "--output", out.toString());
        assertError(1, "nope.safetensors", "layer", "--layer", tmp.resolve("nope.safetensors").toString(), "--input", x.toString(), "--output", out.toString());
        Path corrupt = Files.write(tmp.resolve("corrupt.safetensors"), new byte[] {1, 2, 3});
        assertError(1, "corrupt.safetensors", "layer", "--layer", corrupt.toString(), "--input", x.toString(), "--output", out.toString());
        Path wrongD;
        try (Arena arena = Arena.ofConfined()) {
            wrongD = tmp.resolve("wrong.npy");
            Npy.write(wrongD, Tensor.allocate(arena, DType.F32, 3, 5));
        }
        assertError(1, "wrong.npy", "layer", "--layer", layer.toString(), "--input", wrongD.toString(), "--output", out.toString());
        assertError(2, "--output", "layer", "--layer", layer.toString(), "--input", x.toString());
        assertError(1, "--threads", "layer", "--layer", layer.toString(), "--input", x.toString(), "--output", out.toString(), "--threads", "-1");
        assertFalse(Files.exists(out), "no output written on error");
    }

    @Test
    void aVectorInputIsOneToken() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Npy.read(Golden.layer("mixtral_top2.x.npy"), arena);
            Path one = tmp.resolve("one.npy");
            Npy.write(one, x.row(0));
            Path y = tmp.resolve("y1.npy");
            CliRun run = CliRun.of("layer", "--layer", Golden.layer("mixtral_top2.safetensors").toString(),
                    "--input", one.toString(), "--output", y.toString());
            assertEquals(0, run.exitCode(), run.err());
            assertEquals(2, Npy.read(y, arena).rank());
        }
    }

    private static void assertError(int code, String mention, String... args) {
        CliRun run = CliRun.of(args);
        assertEquals(code, run.exitCode(), run.out() + run.err());
        String err = run.err().strip();
        assertTrue(err.contains(mention), err);
        if (code == 1) assertEquals(1, err.lines().count(), "one line: " + err);
    }
}
