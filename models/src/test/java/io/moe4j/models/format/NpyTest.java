package io.moe4j.models.format;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NpyTest {
    @TempDir
    Path dir;

    static Stream<Arguments> dtypesAndShapes() {
        long[][] shapes = {{}, {0}, {1}, {5}, {2, 3}, {3, 0}, {2, 1, 3}, {1, 2, 2, 3}, {2, 1, 1, 2, 2}};
        return Stream.of(DType.F32, DType.F64, DType.I32, DType.I64)
                .flatMap(d -> Arrays.stream(shapes).map(s -> Arguments.of(d, s)));
    }

    @ParameterizedTest
    @MethodSource("dtypesAndShapes")
    void roundTripsEveryDTypeAndRank(DType dtype, long[] shape) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, dtype, shape);
            fillDistinct(t.segment(), t.byteSize());
            Path file = dir.resolve("rt.npy");
            Npy.write(file, t);
            assertEquals(0, (Files.size(file) - t.byteSize()) % 64, "data starts on a 64-byte boundary");

            Tensor back = Npy.read(file, arena);
            assertEquals(dtype, back.dtype());
            assertArrayEquals(shape, back.shape());
            assertEquals(-1, back.segment().mismatch(t.segment()), "identical bytes");
        }
    }

    @Test
    void readsValuesWithFullPrecision() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.I64, 2);
            t.segment().setAtIndex(ValueLayout.JAVA_LONG, 0, Long.MAX_VALUE);
            t.segment().setAtIndex(ValueLayout.JAVA_LONG, 1, -123456789012345L);
            Path file = dir.resolve("i64.npy");
            Npy.write(file, t);
            MemorySegment back = Npy.read(file, arena).segment();
            assertEquals(Long.MAX_VALUE, back.getAtIndex(ValueLayout.JAVA_LONG, 0));
            assertEquals(-123456789012345L, back.getAtIndex(ValueLayout.JAVA_LONG, 1));
        }
    }

    @Test
    void writesHeadersExactlyAsNumpyDoes() throws IOException {
        // Header texts from numpy 2.4's np.save: the dict, growth room, spaces to a 64-byte boundary, '\n'.
        check(DType.F32, new long[] {2, 3}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 128);
        check(DType.F64, new long[] {}, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 128);
        check(DType.I32, new long[] {5}, "{'descr': '<i4', 'fortran_order': False, 'shape': (5,), }", 128);
        check(DType.I64, new long[] {1, 2, 3, 4}, "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2, 3, 4), }", 128);
    }

    private void check(DType dtype, long[] shape, String dict, int headerBytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Path file = dir.resolve("h.npy");
            Npy.write(file, Tensor.allocate(arena, dtype, shape));
            byte[] bytes = Files.readAllBytes(file);
            ByteBuffer expected = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN)
                    .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) (headerBytes - 10))
                    .put((dict + " ".repeat(headerBytes - 11 - dict.length()) + "\n").getBytes(StandardCharsets.ISO_8859_1));
            assertArrayEquals(expected.array(), Arrays.copyOf(bytes, headerBytes));
            assertEquals(headerBytes + dtype.bytesFor(Shape.elements(shape)), bytes.length);
        }
    }

    @Test
    void writesStridedTensorsInRowMajorOrder() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.ofFloats(arena, new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1);
            Path file = dir.resolve("t.npy");
            Npy.write(file, t);
            Tensor back = Npy.read(file, arena);
            assertArrayEquals(new long[] {3, 2}, back.shape());
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, back.toFloatArray());

            Tensor column = Tensor.ofFloats(arena, new float[] {1, 2, 3, 4, 5, 6}, 2, 3).slice(1, 1, 2);
            Npy.write(file, column);
            assertArrayEquals(new float[] {2, 5}, Npy.read(file, arena).toFloatArray());
        }
    }

    @Test
    void writeRejectsDTypesWithoutAnNpyEquivalent() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Npy.write(dir.resolve("x.npy"), Tensor.allocate(arena, DType.F16, 2)));
            assertTrue(e.getMessage().contains("F16"), e.getMessage());
        }
    }

    @Test
    void readsVersions2And3() throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        for (int version : new int[] {2, 3}) {
            byte[] text = (dict + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(12 + text.length + 8).order(ByteOrder.LITTLE_ENDIAN)
                    .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0})
                    .putInt(text.length).put(text).putFloat(1.5f).putFloat(-2f);
            Path file = Files.write(dir.resolve("v" + version + ".npy"), b.array());
            try (Arena arena = Arena.ofConfined()) {
                assertArrayEquals(new float[] {1.5f, -2f}, Npy.read(file, arena).toFloatArray());
            }
        }
    }

    @Test
    void acceptsDoubleQuotesAndNoTrailingComma() throws IOException {
        Path file = npy("{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<i4\"}", 8);
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Npy.read(file, arena);
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {1, 2}, t.shape());
        }
    }

    /** A version-1.0 file with this header dict and {@code dataBytes} zero bytes of data. */
    private Path npy(String dict, int dataBytes) throws IOException {
        byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length).put(text);
        return Files.write(dir.resolve("bad.npy"), b.array());
    }

    private void reject(Path file, String... fragments) {
        try (Arena arena = Arena.ofConfined()) {
            FormatException e = assertThrows(FormatException.class, () -> Npy.read(file, arena));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        }
    }

    private static String dict(String descr, String fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
    }

    @Test
    void rejectsFortranOrder() throws IOException {
        reject(npy(dict("<f4", "True", "(2, 2)"), 16), "Fortran order");
    }

    @Test
    void rejectsBigEndian() throws IOException {
        reject(npy(dict(">f4", "False", "(2,)"), 8), "'>f4'", "big-endian");
    }

    @Test
    void rejectsUnsupportedDTypes() throws IOException {
        reject(npy(dict("<f2", "False", "(2,)"), 4), "unsupported npy dtype '<f2'");
        reject(npy(dict("|u1", "False", "(2,)"), 2), "unsupported npy dtype '|u1'");
    }

    @Test
    void rejectsTruncatedAndOverlongData() throws IOException {
        reject(npy(dict("<f8", "False", "(2, 3)"), 47), "47 bytes", "needs 48", "truncated");
        reject(npy(dict("<f4", "False", "(2,)"), 9), "9 bytes", "needs 8", "trailing");
    }

    @Test
    void rejectsMalformedHeaders() throws IOException {
        reject(npy("{'descr': '<f4', 'shape': (2,)}", 8), "exactly the keys");
        reject(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8), "exactly the keys", "extra");
        reject(npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 8), "duplicate key 'descr'");
        reject(npy(dict("<f4", "False", "(2)"), 8), "'shape' must be a tuple");
        reject(npy(dict("<f4", "False", "[2]"), 8), "malformed npy header");
        reject(npy(dict("<f4", "False", "(-2,)"), 8), "malformed npy header", "expected an integer");
        reject(npy(dict("<f4", "false", "(2,)"), 8), "malformed npy header");
        reject(npy(dict("<f4", "0", "(2,)"), 8), "'fortran_order' must be True or False");
        reject(npy(dict("<f4", "False", "(2,)") + " x", 8), "unexpected text after the dict");
        reject(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", 8), "malformed npy header");
        reject(npy(dict("<f4", "False", "(99999999999999999999,)"), 8), "out of range");
        reject(npy(dict("<f4", "False", "(4294967296, 4294967296)"), 8), "too large");
    }

    @Test
    void rejectsBadFramingBytes() throws IOException {
        reject(Files.write(dir.resolve("short.npy"), new byte[] {(byte) 0x93, 'N', 'U'}), "not an npy file");
        reject(Files.write(dir.resolve("magic.npy"), "PK\u0003\u0004 not numpy at all".getBytes(StandardCharsets.ISO_8859_1)),
                "not an npy file");
        byte[] v4 = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 4, 0, 0, 0, 0, 0};
        reject(Files.write(dir.resolve("v4.npy"), v4), "version 4.0");
        byte[] cut = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 100, 0, '{'};
        reject(Files.write(dir.resolve("cut.npy"), cut), "header of 100 bytes is cut off");
    }

    /** Distinct bytes, so a transposition or offset error cannot go unnoticed. */
    private static void fillDistinct(MemorySegment s, long bytes) {
        for (long i = 0; i < bytes; i++) s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 37 + 11));
    }
}
