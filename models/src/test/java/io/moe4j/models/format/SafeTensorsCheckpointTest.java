package io.moe4j.models.format;

import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsCheckpointTest {
    private static final String INDEX = """
            {"metadata": {"total_size": 40},
             "weight_map": {
               "model.norm.weight": "model-00002-of-00002.safetensors",
               "model.embed.weight": "model-00001-of-00002.safetensors",
               "model.layers.0.w": "model-00001-of-00002.safetensors",
               "lm_head.weight": "model-00002-of-00002.safetensors"}}""";

    @TempDir
    Path dir;

    private void writeShards() throws IOException {
        new SafeTensorsBuilder()
                .f32("model.embed.weight", new long[] {2, 2}, 1, 2, 3, 4)
                .f32("model.layers.0.w", new long[] {2}, 5, 6)
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafeTensorsBuilder()
                .f32("model.norm.weight", new long[] {2}, 7, 8)
                .f32("lm_head.weight", new long[] {2}, 9, 10)
                .write(dir.resolve("model-00002-of-00002.safetensors"));
    }

    private Path index(String json) throws IOException {
        return Files.writeString(dir.resolve(SafeTensorsCheckpoint.INDEX_FILE), json);
    }

    @Test
    void opensShardsFromTheIndex() throws IOException {
        writeShards();
        Path index = index(INDEX);
        try (SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(dir)) {
            assertEquals(index, ckpt.source());
            assertEquals(List.of("lm_head.weight", "model.embed.weight", "model.layers.0.w", "model.norm.weight"),
                    ckpt.names(), "sorted");
            assertEquals(2, ckpt.shards().size(), "each shard opened once");
            assertEquals(dir.resolve("model-00002-of-00002.safetensors"), ckpt.shards().getFirst().path(),
                    "shards in order of first mention");
            assertSame(ckpt.shardOf("model.embed.weight"), ckpt.shardOf("model.layers.0.w"));
            assertTrue(ckpt.contains("lm_head.weight"));
            assertFalse(ckpt.contains("missing"));
            assertArrayEquals(new float[] {1, 2, 3, 4}, ckpt.tensor("model.embed.weight").toFloatArray());
            assertArrayEquals(new float[] {9, 10}, ckpt.tensor("lm_head.weight").toFloatArray());
            assertArrayEquals(new long[] {2, 2}, ckpt.info("model.embed.weight").shape());
        }
    }

    @Test
    void opensAnIndexFileOrASingleFileGivenDirectly() throws IOException {
        writeShards();
        Path index = index(INDEX);
        try (SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(index)) {
            assertEquals(4, ckpt.names().size());
        }
        try (SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(dir.resolve("model-00001-of-00002.safetensors"))) {
            assertEquals(List.of("model.embed.weight", "model.layers.0.w"), ckpt.names());
        }
    }

    @Test
    void indexIsAuthoritative() throws IOException {
        writeShards();
        index("""
                {"weight_map": {"model.embed.weight": "model-00001-of-00002.safetensors"}}""");
        new SafeTensorsBuilder().f32("other", new long[] {1}, 1).write(dir.resolve(SafeTensorsCheckpoint.SINGLE_FILE));
        try (SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(dir)) {
            assertEquals(List.of("model.embed.weight"), ckpt.names(), "index wins over model.safetensors");
            assertFalse(ckpt.contains("model.layers.0.w"), "unlisted tensors of a shard are not exposed");
        }
    }

    @Test
    void fallsBackToASingleFile() throws IOException {
        Path single = new SafeTensorsBuilder().f32("b", new long[] {1}, 2).f32("a", new long[] {1}, 1)
                .write(dir.resolve(SafeTensorsCheckpoint.SINGLE_FILE));
        try (SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(dir)) {
            assertEquals(single, ckpt.source());
            assertEquals(List.of("a", "b"), ckpt.names());
            assertEquals(2f, ckpt.tensor("b").getFloat(0));
        }
    }

    @Test
    void noCheckpointListsWhatWasLookedFor() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(SafeTensorsCheckpoint.INDEX_FILE), e.getMessage());
        assertTrue(e.getMessage().contains(SafeTensorsCheckpoint.SINGLE_FILE), e.getMessage());
        NoSuchFileException e2 = assertThrows(NoSuchFileException.class, () -> SafeTensorsCheckpoint.open(dir.resolve("nowhere")));
        assertTrue(e2.getMessage().contains("not a directory"), e2.getMessage());
    }

    @Test
    void missingShardNamesTheIndexAndTheShard() throws IOException {
        writeShards();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        index(INDEX);
        FormatException e = assertThrows(FormatException.class, () -> SafeTensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(SafeTensorsCheckpoint.INDEX_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("'model-00002-of-00002.safetensors'"), e.getMessage());
        assertTrue(e.getMessage().contains("'model.norm.weight'"), e.getMessage());
        assertFalse(e.getMessage().contains("model-00001"), "only the missing shard is reported: " + e.getMessage());
    }

    @Test
    void tensorNotInItsShard() throws IOException {
        writeShards();
        index("""
                {"weight_map": {"model.embed.weight": "model-00001-of-00002.safetensors",
                                "lm_head.weight": "model-00001-of-00002.safetensors"}}""");
        FormatException e = assertThrows(FormatException.class, () -> SafeTensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains(SafeTensorsCheckpoint.INDEX_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("'lm_head.weight'"), e.getMessage());
        assertTrue(e.getMessage().contains("'model-00001-of-00002.safetensors'"), e.getMessage());
    }

    @Test
    void malformedIndex() throws IOException {
        writeShards();
        String[][] cases = {
                {"{\"weight_map\": ", "not valid JSON"},
                {"[]", "must be a JSON object"},
                {"{\"metadata\": {}}", "missing field 'weight_map'"},
                {"{\"weight_map\": []}", "'weight_map' must be a JSON object"},
                {"{\"weight_map\": {}}", "'weight_map' is empty"},
                {"{\"weight_map\": {\"a\": 1}}", "tensor 'a' must be a shard file name"},
                {"{\"weight_map\": {\"a\": \"../model-00001-of-00002.safetensors\"}}", "plain file name"},
                {"{\"weight_map\": {\"a\": \"\"}}", "plain file name"},
        };
        for (String[] c : cases) {
            index(c[0]);
            FormatException e = assertThrows(FormatException.class, () -> SafeTensorsCheckpoint.open(dir), c[0]);
            assertTrue(e.getMessage().contains(SafeTensorsCheckpoint.INDEX_FILE), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), () -> "'" + c[1] + "' not in: " + e.getMessage());
        }
    }

    @Test
    void badShardIsReportedByItsFileName() throws IOException {
        writeShards();
        Files.write(dir.resolve("model-00002-of-00002.safetensors"), new byte[3]);
        index(INDEX);
        FormatException e = assertThrows(FormatException.class, () -> SafeTensorsCheckpoint.open(dir));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test
    void missingTensorAndUseAfterClose() throws IOException {
        writeShards();
        index(INDEX);
        SafeTensorsCheckpoint ckpt = SafeTensorsCheckpoint.open(dir);
        MissingTensorException e = assertThrows(MissingTensorException.class, () -> ckpt.tensor("model.nope"));
        assertTrue(e.getMessage().contains(SafeTensorsCheckpoint.INDEX_FILE) && e.getMessage().contains("model.nope"),
                e.getMessage());
        Tensor a = ckpt.tensor("model.embed.weight");
        Tensor b = ckpt.tensor("lm_head.weight");
        ckpt.close();
        assertThrows(IllegalStateException.class, () -> a.getFloat(0, 0));
        assertThrows(IllegalStateException.class, () -> b.getFloat(0));
        assertThrows(IllegalStateException.class, () -> ckpt.tensor("lm_head.weight"));
        ckpt.close(); // idempotent
    }
}
