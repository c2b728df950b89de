package io.moe4j.models.format;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void viewsReadTheRightValuesForEachDType() throws IOException {
        Path file = new SafeTensorsBuilder()
                .f32("f32", new long[] {2, 3}, 1, 2, 3, 4, 5, -6.5f)
                .f16("f16", new long[] {3}, 0.5f, -2f, 65504f)
                .bf16("bf16", new long[] {2, 2}, 1f, -3f, 0.15625f, 1e30f)
                .i32("i32", new long[] {4}, 7, -8, Integer.MAX_VALUE, 0)
                .write(dir.resolve("values.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            Tensor f32 = st.tensor("f32");
            assertEquals(DType.F32, f32.dtype());
            assertArrayEquals(new long[] {2, 3}, f32.shape());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, -6.5f}, f32.toFloatArray());
            assertEquals(-6.5f, f32.getFloat(1, 2));

            Tensor f16 = st.tensor("f16");
            assertEquals(DType.F16, f16.dtype());
            assertArrayEquals(new float[] {0.5f, -2f, 65504f}, f16.toFloatArray());

            Tensor bf16 = st.tensor("bf16");
            assertEquals(DType.BF16, bf16.dtype());
            assertArrayEquals(new float[] {1f, -3f, 0.15625f, io.moe4j.engine.tensor.BFloat16.toFloat(io.moe4j.engine.tensor.BFloat16.fromFloat(1e30f))},
                    bf16.toFloatArray());

            Tensor i32 = st.tensor("i32");
            assertEquals(DType.I32, i32.dtype());
            assertEquals(Integer.MAX_VALUE, i32.segment().get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 8));
            assertEquals(-8f, i32.getFloat(1));
        }
    }

    @Test
    void everyDTypeNameMapsToTheEngineDType() throws IOException {
        SafeTensorsBuilder b = new SafeTensorsBuilder();
        Map<String, Integer> sizes = Map.of("F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4, "I16", 2,
                "I8", 1, "U8", 1, "BOOL", 1);
        sizes.forEach((dtype, size) -> b.tensor(dtype.toLowerCase(), dtype, new long[] {2}, new byte[2 * size]));
        try (SafeTensors st = SafeTensors.open(b.write(dir.resolve("all.safetensors")))) {
            for (String dtype : sizes.keySet()) {
                assertEquals(DType.valueOf(dtype), st.info(dtype.toLowerCase()).dtype());
                assertEquals(0f, st.tensor(dtype.toLowerCase()).getFloat(1));
            }
        }
    }

    @Test
    void unalignedTensorsReadCorrectly() throws IOException {
        // A 1-byte tensor first and an odd header padding put the F32 data at an odd file offset.
        Path file = new SafeTensorsBuilder()
                .tensor("byte", "U8", new long[] {1}, new byte[] {(byte) 200})
                .f32("w", new long[] {3}, 1.5f, -2.25f, 3e-3f)
                .headerPadding(3)
                .write(dir.resolve("unaligned.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(1, st.info("w").begin());
            Tensor w = st.tensor("w");
            assertNotEquals(0, w.segment().address() % 4, "test should exercise an unaligned segment");
            assertArrayEquals(new float[] {1.5f, -2.25f, 3e-3f}, w.toFloatArray());
            assertEquals(200f, st.tensor("byte").getFloat(0));
        }
    }

    @Test
    void headerQueries() throws IOException {
        Path file = new SafeTensorsBuilder()
                .metadata("format", "pt").metadata("moe.top_k", "2")
                .f32("zeta", new long[] {2}, 1, 2)
                .f32("alpha", new long[] {}, 42)
                .f32("empty", new long[] {0, 4})
                .headerPadding(5)
                .write(dir.resolve("q.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(file, st.path());
            assertEquals(List.of("zeta", "alpha", "empty"), st.names(), "file order");
            assertTrue(st.contains("alpha"));
            assertFalse(st.contains("beta"));
            assertEquals(Map.of("format", "pt", "moe.top_k", "2"), st.metadata());
            assertEquals(List.of("format", "moe.top_k"), List.copyOf(st.metadata().keySet()));

            SafeTensorInfo zeta = st.info("zeta");
            assertEquals(new SafeTensorInfo("zeta", DType.F32, new long[] {2}, 0, 8), zeta);
            assertEquals(8, zeta.byteSize());
            assertEquals(2, zeta.elements());

            Tensor scalar = st.tensor("alpha");
            assertEquals(0, scalar.rank());
            assertEquals(42f, scalar.getFloat());
            assertEquals(0, st.tensor("empty").size());

            // The data area starts right after the padded header.
            long headerLength = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file), 0, 8)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(8 + headerLength, st.dataStart());
        }
    }

    @Test
    void metadataIsEmptyWhenAbsent() throws IOException {
        Path file = new SafeTensorsBuilder().f32("w", new long[] {1}, 1).write(dir.resolve("m.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertTrue(st.metadata().isEmpty());
        }
    }

    @Test
    void viewsAreZeroCopyWindowsOfTheMapping() throws IOException {
        Path file = new SafeTensorsBuilder().f32("a", new long[] {2}, 1, 2).f32("b", new long[] {2}, 3, 4)
                .write(dir.resolve("map.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            Tensor a = st.tensor("a");
            Tensor b = st.tensor("b");
            assertTrue(a.segment().isReadOnly(), "the read-only mapping, not a writable copy");
            assertEquals(a.segment().address() + 8, b.segment().address());
            assertEquals(a.segment().address(), st.tensor("a").segment().address(), "same bytes each time");
        }
    }

    @Test
    void missingTensorNamesFileAndTensor() throws IOException {
        Path file = new SafeTensorsBuilder().f32("w", new long[] {1}, 1).write(dir.resolve("some.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            MissingTensorException e = assertThrows(MissingTensorException.class, () -> st.tensor("model.nope"));
            assertTrue(e.getMessage().contains("some.safetensors"), e.getMessage());
            assertTrue(e.getMessage().contains("model.nope"), e.getMessage());
            assertEquals("model.nope", e.tensor());
            assertEquals(file, e.file());
            assertThrows(MissingTensorException.class, () -> st.info("model.nope"));
        }
    }

    @Test
    void useAfterCloseThrowsIllegalStateException() throws IOException {
        Path file = new SafeTensorsBuilder().f32("w", new long[] {2}, 1, 2).write(dir.resolve("c.safetensors"));
        SafeTensors st = SafeTensors.open(file);
        Tensor w = st.tensor("w");
        assertEquals(2f, w.getFloat(1));
        st.close();
        assertThrows(IllegalStateException.class, () -> w.getFloat(1));
        assertThrows(IllegalStateException.class, w::toFloatArray);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> st.tensor("w"));
        assertTrue(e.getMessage().contains("c.safetensors"), e.getMessage());
        st.close(); // idempotent
        assertEquals(List.of("w"), st.names(), "header queries survive close");
        assertEquals(DType.F32, st.info("w").dtype());
    }

    @Test
    void viewsCanBeReadFromManyThreads() throws IOException {
        float[] values = new float[4096];
        for (int i = 0; i < values.length; i++) values[i] = i;
        Path file = new SafeTensorsBuilder().f32("w", new long[] {64, 64}, values).write(dir.resolve("t.safetensors"));
        try (SafeTensors st = SafeTensors.open(file)) {
            double expected = 4095.0 * 4096 / 2;
            double[] sums = IntStream.range(0, 16).parallel()
                    .mapToDouble(i -> {
                        double s = 0;
                        for (float v : st.tensor("w").toFloatArray()) s += v;
                        return s;
                    }).toArray();
            for (double s : sums) assertEquals(expected, s);
        }
    }

    @Test
    void gapsBetweenTensorsAndEmptyTensorsInsideOthersAreAccepted() throws IOException {
        String header = """
                {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                 "e": {"dtype": "F32", "shape": [0], "data_offsets": [2, 2]},
                 "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}""";
        Path file = java.nio.file.Files.write(dir.resolve("gaps.safetensors"), SafeTensorsBuilder.raw(header, new byte[16]));
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(List.of("a", "e", "b"), st.names());
            assertEquals(0f, st.tensor("b").getFloat(0));
        }
    }
}
