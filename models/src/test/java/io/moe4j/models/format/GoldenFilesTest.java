package io.moe4j.models.format;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared fixtures, written by Python's safetensors and numpy, read as we expect. Skipped when absent. */
class GoldenFilesTest {
    @TempDir
    Path dir;

    @Test
    void everyGoldenSafetensorsFileParses() throws IOException {
        Path root = GoldenFiles.require(".");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertFalse(files.isEmpty());
        for (Path file : files) {
            try (SafeTensors st = SafeTensors.open(file)) {
                assertFalse(st.names().isEmpty(), file.toString());
                for (String name : st.names()) {
                    Tensor t = st.tensor(name);
                    for (float v : t.toFloatArray()) assertTrue(Float.isFinite(v), file + " " + name);
                }
            }
        }
    }

    @Test
    void mixtralLayerHeader() throws IOException {
        try (SafeTensors st = SafeTensors.open(GoldenFiles.require("layers/mixtral_top2.safetensors"))) {
            assertEquals("softmax_topk", st.metadata().get("moe.router"));
            assertEquals("2", st.metadata().get("moe.top_k"));
            assertEquals(DType.F32, st.info("router.weight").dtype());
            assertArrayEquals(new long[] {8, 32}, st.info("router.weight").shape());
            assertTrue(st.contains("experts.7.w2.weight"));
        }
    }

    @Test
    void mixtralLayerInputIsFloat32TokensByModelDim() throws IOException {
        Path x = GoldenFiles.require("layers/mixtral_top2.x.npy");
        Path y = GoldenFiles.require("layers/mixtral_top2.y.npy");
        try (Arena arena = Arena.ofConfined();
             SafeTensors layer = SafeTensors.open(GoldenFiles.require("layers/mixtral_top2.safetensors"))) {
            Tensor input = Npy.read(x, arena);
            assertEquals(DType.F32, input.dtype());
            assertEquals(2, input.rank());
            assertTrue(input.dim(0) > 0);
            assertEquals(layer.info("router.weight").shape()[1], input.dim(1), "D matches the router's input dim");
            assertArrayEquals(input.shape(), Npy.read(y, arena).shape());

            // Writing it back reproduces numpy's file byte for byte.
            Path copy = dir.resolve("x.npy");
            Npy.write(copy, input);
            assertArrayEquals(Files.readAllBytes(x), Files.readAllBytes(copy));
        }
    }

    @Test
    void tinyMixtralCheckpointAndExpectedLogits() throws IOException {
        Path model = GoldenFiles.require("models/mixtral-tiny-f32");
        try (SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(model); Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new long[] {320, 64}, ckpt.info("model.embed_tokens.weight").shape());
            Tensor logits = Npy.read(model.resolve("expected/p7.logits.npy"), arena);
            assertEquals(DType.F64, logits.dtype());
            assertArrayEquals(new long[] {7, 320}, logits.shape());
        }
    }
}
