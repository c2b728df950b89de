package io.moe4j.models.format.gguf;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.MissingTensorException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files written by {@link GgufWriter} read back through {@link GgufFile} with every value and byte intact. */
class GgufRoundTripTest {
    @TempDir
    Path dir;

    /** One value of every type, arrays of every element type, an empty and a nested array. */
    static Map<String, GgufValue> everyValueType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("general.architecture", GgufValue.string("llama"));
        m.put("u8", GgufValue.uint8(255));
        m.put("i8", GgufValue.int8(-128));
        m.put("u16", GgufValue.uint16(65535));
        m.put("i16", GgufValue.int16(-32768));
        m.put("u32", GgufValue.uint32(4_294_967_295L));
        m.put("i32", GgufValue.int32(Integer.MIN_VALUE));
        m.put("u64", GgufValue.uint64(-1L)); // 2^64 - 1
        m.put("i64", GgufValue.int64(Long.MIN_VALUE));
        m.put("f32", GgufValue.float32(1e-5f));
        m.put("f64", GgufValue.float64(Math.PI));
        m.put("nan", GgufValue.float32(Float.NaN));
        m.put("yes", GgufValue.bool(true));
        m.put("no", GgufValue.bool(false));
        m.put("empty string", GgufValue.string(""));
        m.put("unicode", GgufValue.string("▁Grüße, 世界 🙂"));
        m.put("a.u8", GgufValue.array(GgufArray.ofUint8((byte) 0, (byte) 200, (byte) 255)));
        m.put("a.i8", GgufValue.array(GgufArray.ofInt8((byte) -1, (byte) 127)));
        m.put("a.u16", GgufValue.array(GgufArray.ofUint16((short) 65535, (short) 1)));
        m.put("a.i16", GgufValue.array(GgufArray.ofInt16((short) -2, (short) 3)));
        m.put("a.u32", GgufValue.array(GgufArray.ofUint32(-1, 7)));
        m.put("a.i32", GgufValue.array(GgufArray.ofInt32(2, 3, 3, 6)));
        m.put("a.u64", GgufValue.array(GgufArray.ofUint64(-1L, 0L)));
        m.put("a.i64", GgufValue.array(GgufArray.ofInt64(Long.MAX_VALUE, -5)));
        m.put("a.f32", GgufValue.array(GgufArray.ofFloat32(0f, -1.5f, Float.MIN_VALUE)));
        m.put("a.f64", GgufValue.array(GgufArray.ofFloat64(1e300, -0.0)));
        m.put("a.bool", GgufValue.array(GgufArray.ofBool(true, false, true)));
        m.put("a.str", GgufValue.array(GgufArray.ofStrings("<unk>", "<s>", "", "▁the", "<0x0A>")));
        m.put("a.empty", GgufValue.array(GgufArray.ofFloat32()));
        m.put("a.nested", GgufValue.array(GgufArray.ofArrays(GgufArray.ofStrings("x"), GgufArray.ofInt32(1, 2),
                GgufArray.ofArrays(GgufArray.ofBool(true)))));
        return m;
    }

    private Path write(GgufWriter w) throws IOException {
        Path file = dir.resolve("t.gguf");
        w.write(file);
        return file;
    }

    @Test
    void metadataOfEveryTypeRoundTrips() throws IOException {
        GgufWriter w = new GgufWriter();
        everyValueType().forEach(w::metadata);
        try (GgufFile f = GgufFile.open(write(w))) {
            assertEquals(3, f.version());
            assertEquals(List.copyOf(everyValueType().keySet()), List.copyOf(f.metadata().keys()), "file order");
            assertEquals(everyValueType(), f.metadata().asMap());
            GgufMetadata m = f.metadata();
            assertEquals("llama", m.getString("general.architecture"));
            assertEquals(255, m.getInt("u8"));
            assertEquals(-128, m.getInt("i8"));
            assertEquals(4_294_967_295L, m.getLong("u32"));
            assertEquals("18446744073709551615", m.get("u64").describe());
            assertEquals(1e-5f, m.getFloat("f32"));
            assertEquals(Math.PI, m.getDouble("f64"));
            assertTrue(Float.isNaN(m.getFloat("nan")));
            assertTrue(m.getBoolean("yes"));
            assertEquals("▁Grüße, 世界 🙂", m.getString("unicode"));
            assertArrayEquals(new long[] {0, 200, 255}, m.getLongs("a.u8"));
            assertArrayEquals(new int[] {65535, 1}, m.getInts("a.u16"));
            assertArrayEquals(new long[] {4_294_967_295L, 7}, m.getLongs("a.u32"));
            assertArrayEquals(new int[] {2, 3, 3, 6}, m.getInts("a.i32"));
            assertArrayEquals(new float[] {0f, -1.5f, Float.MIN_VALUE}, m.getFloats("a.f32"));
            assertArrayEquals(new double[] {1e300, -0.0}, m.getArray("a.f64").toDoubles());
            assertArrayEquals(new boolean[] {true, false, true}, m.getArray("a.bool").toBooleans());
            assertEquals(List.of("<unk>", "<s>", "", "▁the", "<0x0A>"), m.getStrings("a.str"));
            assertEquals(0, m.getArray("a.empty").size());
            GgufArray nested = m.getArray("a.nested");
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            assertEquals(3, nested.depth());
            assertEquals(List.of("x"), nested.arrays().get(0).strings());
            assertArrayEquals(new boolean[] {true}, nested.arrays().get(2).arrays().get(0).toBooleans());
        }
    }

    @Test
    void emptyFileRoundTrips() throws IOException {
        try (GgufFile f = GgufFile.open(write(new GgufWriter()))) {
            assertEquals(0, f.metadata().size());
            assertTrue(f.names().isEmpty());
            assertEquals(32, f.alignment());
        }
    }

    @Test
    void tensorsOfEveryEngineTypeRoundTripAsZeroCopyViews() throws IOException {
        Random random = new Random(6);
        GgufWriter w = new GgufWriter().metadata("general.architecture", GgufValue.string("llama"));
        Map<String, byte[]> contents = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, GgmlType> types = new LinkedHashMap<>();
        Object[][] cases = {
                {"f32", GgmlType.F32, new long[] {3, 5}},
                {"f16", GgmlType.F16, new long[] {2, 3}},
                {"bf16", GgmlType.BF16, new long[] {7}},
                {"q8_0", GgmlType.Q8_0, new long[] {2, 64}},
                {"q4_0", GgmlType.Q4_0, new long[] {3, 32}},
                {"q4_k", GgmlType.Q4_K, new long[] {1, 256}},
                {"q5_k", GgmlType.Q5_K, new long[] {2, 1, 256}},
                {"q6_k", GgmlType.Q6_K, new long[] {1, 2, 1, 512}},
                {"i32", GgmlType.I32, new long[] {4}},
                {"scalar", GgmlType.F32, new long[] {}},
        };
        for (Object[] c : cases) {
            String name = (String) c[0];
            GgmlType type = (GgmlType) c[1];
            long[] shape = (long[]) c[2];
            long elements = 1;
            for (long d : shape) elements *= d;
            byte[] bytes = new byte[(int) (elements / type.blockSize() * type.typeSize())];
            random.nextBytes(bytes);
            contents.put(name, bytes);
            shapes.put(name, shape);
            types.put(name, type);
            w.add(name, type, shape, () -> MemorySegment.ofArray(bytes));
        }
        try (GgufFile f = GgufFile.open(write(w))) {
            assertEquals(List.copyOf(contents.keySet()), f.names());
            assertEquals(0, f.dataStart() % 32);
            Tensor first = f.tensor("f32");
            for (String name : contents.keySet()) {
                GgufTensorInfo info = f.info(name);
                assertEquals(types.get(name), info.type(), name);
                assertArrayEquals(shapes.get(name), info.shape(), name);
                assertEquals(0, info.offset() % 32, name + " offset aligned");
                Tensor t = f.tensor(name);
                assertEquals(types.get(name).dtype().orElseThrow(), t.dtype());
                assertArrayEquals(shapes.get(name), t.shape());
                assertArrayEquals(contents.get(name), t.segment().toArray(ValueLayout.JAVA_BYTE), name);
                // Zero copy: every view sits in the one mapping, at its offset from the first tensor's bytes.
                assertEquals(info.offset() - f.info("f32").offset(), t.segment().address() - first.segment().address(), name);
                assertEquals(0, t.segment().address() % 32, name + " aligned in memory");
                assertTrue(t.segment().isReadOnly(), name);
            }
        }
    }

    @Test
    void engineTensorsRoundTripWithTheirValues() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.ofFloats(arena, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor h = Tensor.allocate(arena, DType.F16, 4);
            for (int i = 0; i < 4; i++) h.segment().set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, Float.floatToFloat16(i / 2f));
            Path file = write(new GgufWriter().add("w", w).add("h", h));
            try (GgufFile f = GgufFile.open(file)) {
                Tensor r = f.tensor("w");
                assertArrayEquals(new long[] {2, 3}, r.shape());
                assertArrayEquals(new long[] {3, 2}, f.info("w").ne());
                assertEquals(6f, r.segment().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 5));
                assertEquals(1.5f, Float.float16ToFloat(f.tensor("h").segment().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, 3)));
            }
        }
    }

    @Test
    void writerStoresNeContiguousDimensionFirst() throws IOException {
        byte[] bytes = new byte[3 * 64 * 4];
        Path file = write(new GgufWriter().add("w", GgmlType.F32, new long[] {3, 64}, () -> MemorySegment.ofArray(bytes)));
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        // magic, version, counts (24 bytes); name length and "w" (9); n_dims (4); then ne[0], ne[1].
        assertEquals(2, b.getInt(33));
        assertEquals(64, b.getLong(37));
        assertEquals(3, b.getLong(45));
    }

    @Test
    void customAlignmentAppliesToDataSectionAndEveryTensor() throws IOException {
        byte[] small = new byte[12];
        GgufWriter w = new GgufWriter().alignment(256)
                .add("a", GgmlType.F32, new long[] {3}, () -> MemorySegment.ofArray(small))
                .add("b", GgmlType.F32, new long[] {3}, () -> MemorySegment.ofArray(small));
        try (GgufFile f = GgufFile.open(write(w))) {
            assertEquals(256, f.alignment());
            assertEquals(256, f.metadata().getLong("general.alignment"));
            assertEquals(0, f.dataStart() % 256);
            assertEquals(0, f.info("a").offset());
            assertEquals(256, f.info("b").offset());
            assertEquals(0, f.tensor("b").segment().address() % 256);
        }
    }

    @Test
    void aFileWithoutTensorsIsNotPaddedToItsAlignment() throws IOException {
        // Found by fuzzing: a 1 GiB alignment and no tensors made the writer emit a gigabyte of padding.
        Path file = write(new GgufWriter().alignment(1 << 30));
        assertTrue(Files.size(file) < 100, () -> file + " is " + file.toFile().length() + " bytes");
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals(1 << 30, f.alignment());
        }
    }

    @Test
    void version2FilesAreRead() throws IOException {
        Path file = write(new GgufWriter().metadata("k", GgufValue.int32(1)));
        byte[] bytes = Files.readAllBytes(file);
        bytes[4] = 2; // the version field; v2 and v3 share the little-endian layout
        try (GgufFile f = GgufFile.open(Files.write(file, bytes))) {
            assertEquals(2, f.version());
            assertEquals(1, f.metadata().getInt("k"));
        }
    }

    @Test
    void closeUnmapsAndViewsFailCleanly() throws IOException {
        byte[] bytes = new byte[16];
        GgufFile f = GgufFile.open(write(new GgufWriter().add("w", GgmlType.F32, new long[] {4}, () -> MemorySegment.ofArray(bytes))));
        Tensor view = f.tensor("w");
        assertEquals(0f, view.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        f.close();
        assertThrows(IllegalStateException.class, () -> view.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.tensor("w"));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        assertEquals(16, f.info("w").byteSize(), "the tensor table outlives the mapping");
        f.close(); // idempotent
        assertTrue(f.toString().contains("closed"));
    }

    @Test
    void viewsAreReadOnly() throws IOException {
        byte[] bytes = new byte[16];
        try (GgufFile f = GgufFile.open(write(new GgufWriter().add("w", GgmlType.F32, new long[] {4}, () -> MemorySegment.ofArray(bytes))))) {
            assertThrows(IllegalArgumentException.class,
                    () -> f.tensor("w").segment().set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 1f));
        }
    }

    @Test
    void missingTensor() throws IOException {
        try (GgufFile f = GgufFile.open(write(new GgufWriter()))) {
            MissingTensorException e = assertThrows(MissingTensorException.class, () -> f.tensor("nope"));
            assertEquals("nope", e.tensor());
            assertFalse(f.contains("nope"));
        }
    }

    @Test
    void writerRefusesWhatTheReaderWouldReject() {
        GgufWriter w = new GgufWriter();
        MemorySegment none = MemorySegment.ofArray(new byte[0]);
        assertThrows(IllegalArgumentException.class, () -> w.add("x".repeat(65), GgmlType.F32, new long[] {1}, () -> none));
        assertThrows(IllegalArgumentException.class, () -> w.add("w", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, () -> none));
        assertThrows(IllegalArgumentException.class, () -> w.add("w", GgmlType.F32, new long[] {2, 0}, () -> none));
        assertThrows(IllegalArgumentException.class, () -> w.add("w", GgmlType.Q8_0, new long[] {32, 16}, () -> none));
        w.add("w", GgmlType.F32, new long[] {1}, () -> none);
        assertThrows(IllegalArgumentException.class, () -> w.add("w", GgmlType.F32, new long[] {1}, () -> none));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(48));
        assertThrows(IllegalArgumentException.class, () -> w.metadata("general.alignment", GgufValue.uint64(32)));
        assertThrows(IllegalArgumentException.class, () -> w.metadata("k".repeat(65_536), GgufValue.bool(true)));
        GgufArray deep = GgufArray.ofInt32();
        for (int i = 0; i < GgufReader.MAX_ARRAY_DEPTH; i++) deep = GgufArray.ofArrays(deep);
        GgufArray tooDeep = deep;
        assertThrows(IllegalArgumentException.class, () -> w.metadata("deep", GgufValue.array(tooDeep)));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint8(256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.int16(40_000));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.uint32(-1));
        assertThrows(IllegalArgumentException.class, () -> new GgufValue(GgufValueType.STRING, 3L));
        // A source that hands over another number of bytes than its type and shape take fails the write, naming it.
        assertThrows(IllegalStateException.class, () -> write(w));
    }

    @Test
    void deepestNestingTheReaderAcceptsRoundTrips() throws IOException {
        GgufArray deep = GgufArray.ofUint8((byte) 1);
        for (int i = 1; i < GgufReader.MAX_ARRAY_DEPTH; i++) deep = GgufArray.ofArrays(deep);
        assertEquals(GgufReader.MAX_ARRAY_DEPTH, deep.depth());
        try (GgufFile f = GgufFile.open(write(new GgufWriter().metadata("deep", GgufValue.array(deep))))) {
            assertEquals(deep, f.metadata().getArray("deep"));
        }
    }
}
