package io.moe4j.models.format.gguf;

import io.moe4j.models.format.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static io.moe4j.models.format.gguf.GgufBytes.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One crafted file per rule the reader enforces. Each must fail with a {@link FormatException} that names the file
 * and the field at fault, the same whether the bytes come from a mapped file or from memory (the fuzz test's path).
 */
class GgufValidationTest {
    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    private FormatException reject(GgufBytes contents, String... fragments) throws IOException {
        return reject(contents.bytes(), fragments);
    }

    private FormatException reject(byte[] contents, String... fragments) throws IOException {
        Path file = Files.write(dir.resolve("bad.gguf"), contents);
        FormatException e = assertThrows(FormatException.class, () -> GgufFile.open(file).close());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        FormatException inMemory = assertThrows(FormatException.class,
                () -> GgufFile.read(file, MemorySegment.ofArray(contents), Arena.ofConfined()).close());
        assertEquals(e.getMessage(), inMemory.getMessage());
        return e;
    }

    private GgufFile accept(GgufBytes contents) throws IOException {
        return GgufFile.open(Files.write(dir.resolve("good.gguf"), contents.bytes()));
    }

    // ---- header ----

    @Test
    void emptyAndTinyFiles() throws IOException {
        reject(new byte[0], "file is empty (0 bytes)");
        reject(new byte[3], "file is 3 bytes, too short for the 4-byte GGUF magic");
    }

    @Test
    void wrongMagic() throws IOException {
        reject("GGML0000".getBytes(StandardCharsets.US_ASCII), "not a GGUF file", "47 47 4d 4c");
    }

    @Test
    void version1IsRejectedWithAReason() throws IOException {
        reject(header(1, 0, 0), "GGUF version 1 is not supported", "32-bit counts");
    }

    @Test
    void unknownVersion() throws IOException {
        reject(header(4, 0, 0), "unsupported GGUF version 4");
        reject(header(-1, 0, 0), "unsupported GGUF version 4294967295");
    }

    @Test
    void bigEndianFile() throws IOException {
        reject(header(Integer.reverseBytes(3), 0, 0), "big-endian GGUF");
    }

    @Test
    void truncatedHeader() throws IOException {
        byte[] full = header(3, 0, 0).bytes();
        reject(Arrays.copyOf(full, 12), "tensor count at offset 8 needs 8 bytes, but the file ends 4 bytes later");
        reject(Arrays.copyOf(full, 20), "metadata entry count at offset 16 needs 8 bytes");
    }

    @Test
    void countsLargerThanTheFileCanHold() throws IOException {
        reject(header(3, 1L << 62, 0), "tensor count 4611686018427387904 cannot fit", "24 bytes");
        reject(header(3, -1, 0), "tensor count 18446744073709551615 cannot fit");
        reject(header(3, 0, 1_000_000).zeros(100), "metadata entry count 1000000 cannot fit", "only 100 bytes follow");
        // 3 tensor infos take at least 72 bytes; 71 follow the tensor count (the metadata count included).
        reject(header(3, 3, 0).zeros(63), "tensor count 3 cannot fit", "only 71 bytes follow");
    }

    // ---- metadata ----

    @Test
    void keyLengthBeyondTheFile() throws IOException {
        reject(header(3, 0, 1).u64(1000).raw("abcdefghij".getBytes(StandardCharsets.US_ASCII)),
                "metadata entry 0 key: length 1000 exceeds the 10 bytes left in the file");
        reject(header(3, 0, 1).u64(-1).zeros(5), "metadata entry 0 key: length 18446744073709551615 exceeds");
    }

    @Test
    void keyLongerThanTheSpecificationAllows() throws IOException {
        byte[] key = new byte[70_000];
        Arrays.fill(key, (byte) 'a');
        reject(header(3, 0, 1).stringBytes(key).u32(GgufValueType.UINT8.id()).u8(1),
                "metadata entry 0 key: length 70000 exceeds the limit of 65535 bytes");
    }

    @Test
    void duplicateKey() throws IOException {
        reject(header(3, 0, 2).key("a", GgufValueType.UINT8).u8(1).key("a", GgufValueType.UINT8).u8(2),
                "metadata key 'a' appears twice");
    }

    @Test
    void unknownValueType() throws IOException {
        reject(header(3, 0, 1).string("a").u32(13).u8(0), "metadata key 'a' value type 13 is not a GGUF value type");
    }

    @Test
    void truncatedValue() throws IOException {
        reject(header(3, 0, 1).key("n", GgufValueType.UINT64).raw(new byte[3]),
                "metadata key 'n' at offset 37 needs 8 bytes, but the file ends 3 bytes later");
    }

    @Test
    void boolOtherThanZeroOrOne() throws IOException {
        reject(header(3, 0, 1).key("flag", GgufValueType.BOOL).u8(2), "metadata key 'flag': bool byte is 2, not 0 or 1");
        reject(header(3, 0, 1).key("b", GgufValueType.ARRAY).u32(GgufValueType.BOOL.id()).u64(2).u8(1).u8(5),
                "metadata key 'b' [1]: bool byte is 5");
    }

    @Test
    void invalidUtf8() throws IOException {
        reject(header(3, 0, 1).key("s", GgufValueType.STRING).stringBytes(new byte[] {(byte) 0xC3, 0x28}),
                "metadata key 's' is not valid UTF-8");
        reject(header(3, 0, 1).stringBytes(new byte[] {(byte) 0xFF}).u32(GgufValueType.UINT8.id()).u8(0),
                "metadata entry 0 key is not valid UTF-8");
        reject(header(3, 0, 1).key("t", GgufValueType.ARRAY).u32(GgufValueType.STRING.id()).u64(2)
                .string("ok").stringBytes(new byte[] {(byte) 0x80}), "metadata key 't' [1] is not valid UTF-8");
    }

    @Test
    void stringLongerThanTheFile() throws IOException {
        reject(header(3, 0, 1).key("s", GgufValueType.STRING).u64(1L << 40),
                "metadata key 's': length 1099511627776 exceeds the 0 bytes left in the file");
    }

    @Test
    void arrayLengthLargerThanTheFileCanHold() throws IOException {
        reject(header(3, 0, 1).key("a", GgufValueType.ARRAY).u32(GgufValueType.UINT32.id()).u64(1L << 40),
                "metadata key 'a' array length 1099511627776 cannot fit: each takes at least 4 bytes and only 0 bytes follow");
        // Strings take at least their 8-byte length each, so 3 cannot fit in 16 bytes even if all are empty.
        reject(header(3, 0, 1).key("a", GgufValueType.ARRAY).u32(GgufValueType.STRING.id()).u64(3).zeros(16),
                "array length 3 cannot fit: each takes at least 8 bytes and only 16 bytes follow");
        reject(header(3, 0, 1).key("a", GgufValueType.ARRAY).u32(GgufValueType.ARRAY.id()).u64(2).zeros(12),
                "array length 2 cannot fit: each takes at least 12 bytes");
    }

    @Test
    void unknownArrayElementType() throws IOException {
        reject(header(3, 0, 1).key("a", GgufValueType.ARRAY).u32(42).u64(0),
                "metadata key 'a' element type 42 is not a GGUF value type");
    }

    @Test
    void arraysNestedTooDeep() throws IOException {
        GgufBytes b = header(3, 0, 1).key("a", GgufValueType.ARRAY);
        for (int i = 0; i < GgufReader.MAX_ARRAY_DEPTH; i++) b.u32(GgufValueType.ARRAY.id()).u64(1);
        b.u32(GgufValueType.UINT8.id()).u64(0);
        reject(b, "metadata key 'a' [0] [0] [0] [0] [0] [0] [0] [0]: arrays nested deeper than 8 levels");
    }

    @Test
    void metadataHeapBudget() {
        // The real budget (1 GiB) needs a file of hundreds of MB to reach; the same check with a small one.
        byte[] file = header(3, 0, 2).key("small", GgufValueType.UINT8).u8(1)
                .key("tokens", GgufValueType.ARRAY).u32(GgufValueType.STRING.id()).u64(40).string("x".repeat(10)).bytes();
        byte[] padded = Arrays.copyOf(file, file.length + 39 * 18); // 39 more strings of 10 bytes, zero length prefix
        for (int i = 0; i < 39; i++) {
            int at = file.length + 18 * i;
            padded[at] = 10;
            Arrays.fill(padded, at + 8, at + 18, (byte) 'y');
        }
        // What the reader charges: 64 + 2 per key char for each entry, 16 for the array, 48 + 2 per char per string.
        long needed = (64 + 2 * 5) + (64 + 2 * 6) + 16 + 40 * (48 + 2 * 10);
        Path label = Path.of("big.gguf");
        assertEquals(40, GgufReader.parse(label, MemorySegment.ofArray(padded), needed)
                .metadata().getStrings("tokens").size());
        FormatException e = assertThrows(FormatException.class,
                () -> GgufReader.parse(label, MemorySegment.ofArray(padded), needed - 1));
        assertTrue(e.getMessage().contains("metadata key 'tokens': the metadata would take more than " + (needed - 1)
                + " bytes of memory once decoded"), e.getMessage());
    }

    @Test
    void alignmentMustBeAUint32PowerOfTwo() throws IOException {
        reject(header(3, 0, 1).key("general.alignment", GgufValueType.UINT64).u64(32),
                "metadata key 'general.alignment' is uint64, must be uint32");
        reject(header(3, 0, 1).key("general.alignment", GgufValueType.UINT32).u32(48),
                "metadata key 'general.alignment' = 48 is not a power of two");
        reject(header(3, 0, 1).key("general.alignment", GgufValueType.UINT32).u32(0), "= 0 is not a power of two");
    }

    // ---- tensor table ----

    @Test
    void tensorNameLongerThanTheSpecificationAllows() throws IOException {
        reject(header(3, 1, 0).tensorInfo("x".repeat(65), F32, 0, 4).padTo(32).zeros(16),
                "tensor 0 name: length 65 exceeds the limit of 64 bytes");
    }

    @Test
    void duplicateTensorName() throws IOException {
        reject(header(3, 2, 0).tensorInfo("w", F32, 0, 4).tensorInfo("w", F32, 32, 4).padTo(32).zeros(64),
                "tensor 'w' appears twice in the tensor table");
    }

    @Test
    void truncatedTensorInfo() throws IOException {
        reject(header(3, 1, 0).string("w").u32(2).u64(4).zeros(4),
                "tensor 'w' ne[1] at offset 45 needs 8 bytes, but the file ends 4 bytes later");
    }

    @Test
    void tooManyDimensions() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, 1, 1, 1, 1, 1).zeros(64),
                "tensor 'w': 5 dimensions; GGUF tensors have at most 4");
    }

    @Test
    void dimensionsMustBePositive() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, 4, 0).zeros(64), "tensor 'w': dimension ne[1] = 0 must be positive");
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, -1).zeros(64),
                "tensor 'w': dimension ne[0] = 18446744073709551615 must be positive and below 2^63");
    }

    @Test
    void elementCountOverflow() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, 1L << 32, 1L << 32).zeros(64),
                "tensor 'w': element count of ne [4294967296, 4294967296] overflows");
    }

    @Test
    void byteSizeOverflow() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, 1L << 31, 1L << 30).zeros(64),
                "tensor 'w': byte size of 2305843009213693952 F32 elements overflows");
    }

    @Test
    void unknownGgmlType() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", 99, 0, 4).zeros(64), "tensor 'w': unknown ggml type id 99");
        // Q4_2 (id 4) was dropped from ggml before GGUF existed: no file may use it.
        reject(header(3, 1, 0).tensorInfo("w", 4, 0, 32).zeros(64), "tensor 'w': unknown ggml type id 4");
    }

    @Test
    void rowLengthMustBeWholeBlocks() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", GgmlType.Q8_0.id(), 0, 16, 2).zeros(128),
                "tensor 'w': row length ne[0] = 16 is not a multiple of Q8_0's block size 32");
        reject(header(3, 1, 0).tensorInfo("w", GgmlType.Q4_K.id(), 0, 32).zeros(256),
                "row length ne[0] = 32 is not a multiple of Q4_K's block size 256");
    }

    @Test
    void offsetNotAligned() throws IOException {
        reject(header(3, 1, 0).tensorInfo("blk.0.ffn_up.weight", F32, 4, 4).padTo(32).zeros(64),
                "tensor 'blk.0.ffn_up.weight': offset 4 is not aligned to 32");
        reject(header(3, 1, 1).key("general.alignment", GgufValueType.UINT32).u32(64)
                .tensorInfo("w", F32, 32, 4).padTo(64).zeros(128), "tensor 'w': offset 32 is not aligned to 64");
    }

    @Test
    void tensorOutsideTheDataSection() throws IOException {
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, 16).padTo(32).zeros(32),
                "tensor 'w': its 64 bytes at offset 0 do not fit in the data section of 32 bytes");
        reject(header(3, 1, 0).tensorInfo("w", F32, 64, 4).padTo(32).zeros(64),
                "tensor 'w': its 16 bytes at offset 64 do not fit in the data section of 64 bytes");
        reject(header(3, 1, 0).tensorInfo("w", F32, Long.MIN_VALUE, 4).padTo(32).zeros(64),
                "its 16 bytes at offset 9223372036854775808 do not fit");
        reject(header(3, 1, 0).tensorInfo("w", F32, 0x7FFF_FFFF_FFFF_FFE0L, 8).padTo(32).zeros(64),
                "its 32 bytes at offset 9223372036854775776 do not fit");
    }

    @Test
    void dataSectionMissing() throws IOException {
        // Header and table end at byte 57, so the data section would start at 64: past the end.
        reject(header(3, 1, 0).tensorInfo("w", F32, 0, 4),
                "the data section would start at byte 64", "the file is only 57 bytes");
    }

    @Test
    void overlappingTensors() throws IOException {
        reject(header(3, 2, 0).tensorInfo("a", F32, 0, 16).tensorInfo("b", F32, 32, 16).padTo(32).zeros(96),
                "tensors 'a' [0, 64) and 'b' [32, 96) overlap");
    }

    @Test
    void tensorNameInvalidUtf8() throws IOException {
        reject(header(3, 1, 0).stringBytes(new byte[] {'w', (byte) 0xFE}).u32(1).u64(4).u32(F32).u64(0).padTo(32).zeros(16),
                "tensor 0 name is not valid UTF-8");
    }

    // ---- accepted edge cases ----

    @Test
    void knownButUnsupportedTypeOpensAndFailsOnlyWhenUsed() throws IOException {
        // Q4_1: 32 elements in one 20-byte block.
        try (GgufFile f = accept(header(3, 2, 0).tensorInfo("q", GgmlType.Q4_1.id(), 0, 32)
                .tensorInfo("w", F32, 32, 4).padTo(32).zeros(64))) {
            assertEquals(GgmlType.Q4_1, f.info("q").type());
            assertEquals(20, f.info("q").byteSize());
            assertEquals(16, f.tensor("w").byteSize());
            FormatException e = assertThrows(FormatException.class, () -> f.tensor("q"));
            assertTrue(e.getMessage().contains("tensor 'q' has ggml type Q4_1, which moe4j does not support"), e.getMessage());
            assertTrue(e.getMessage().contains("Q8_0"), e.getMessage());
        }
    }

    @Test
    void noTensorsNeedsNoDataSection() throws IOException {
        try (GgufFile f = accept(header(3, 0, 1).key("a", GgufValueType.UINT8).u8(7))) {
            assertEquals(7, f.metadata().getInt("a"));
            assertTrue(f.tensors().isEmpty());
        }
    }

    @Test
    void gapsBetweenTensorsAndTrailingBytesAreAllowed() throws IOException {
        try (GgufFile f = accept(header(3, 2, 0).tensorInfo("a", F32, 64, 4).tensorInfo("b", F32, 0, 8)
                .padTo(32).zeros(200))) {
            assertEquals(64, f.info("a").offset());
            assertArrayEquals(new long[] {8}, f.tensor("b").shape());
        }
    }
}
