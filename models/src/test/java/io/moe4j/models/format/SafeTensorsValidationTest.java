package io.moe4j.models.format;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every malformed-file case gives a {@link FormatException} that names the file and the offending part. */
class SafeTensorsValidationTest {
    @TempDir
    Path dir;

    private FormatException reject(byte[] contents, String... fragments) throws IOException {
        Path file = Files.write(dir.resolve("bad.safetensors"), contents);
        FormatException e = assertThrows(FormatException.class, () -> SafeTensors.open(file).close());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("bad.safetensors"), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
        return e;
    }

    /** A file with this header and a data area of {@code dataBytes} zero bytes. */
    private FormatException rejectHeader(String header, int dataBytes, String... fragments) throws IOException {
        return reject(SafeTensorsBuilder.raw(header, new byte[dataBytes]), fragments);
    }

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        reject(new byte[5], "5 bytes", "too short");
        reject(new byte[0], "0 bytes");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        byte[] bytes = SafeTensorsBuilder.le(50).putLong(1000).array();
        reject(bytes, "header length 1000", "42 bytes");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        reject(SafeTensorsBuilder.le(16).putLong(200_000_000L).array(), "200000000", "absurd");
        reject(SafeTensorsBuilder.le(16).putLong(-1L).array(), "18446744073709551615", "absurd");
    }

    @Test
    void malformedJson() throws IOException {
        rejectHeader("{\"w\": {\"dtype\": ", 0, "header is not valid JSON");
        rejectHeader("{} trailing", 0, "header is not valid JSON");
        rejectHeader("{\"w\": {}, \"w\": {}}", 0, "not valid JSON", "Duplicate field 'w'");
        reject(SafeTensorsBuilder.raw("", new byte[0]), "header is empty");
        byte[] json = "{\"\u00ff\":1}".getBytes(StandardCharsets.ISO_8859_1); // 0xff is never valid UTF-8
        byte[] badUtf8 = SafeTensorsBuilder.le(8 + json.length).putLong(json.length).put(json).array();
        reject(badUtf8, "not valid JSON");
    }

    @Test
    void headerNotAnObject() throws IOException {
        rejectHeader("[1, 2]", 0, "header must be a JSON object", "array");
        rejectHeader("\"x\"", 0, "header must be a JSON object", "string");
    }

    @Test
    void entryNotAnObject() throws IOException {
        rejectHeader("{\"w\": 3}", 0, "tensor 'w'", "must be a JSON object", "number 3");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"shape\": [1], \"data_offsets\": [0, 4]}                 | missing field 'dtype'",
            "{\"dtype\": \"F32\", \"data_offsets\": [0, 4]}             | missing field 'shape'",
            "{\"dtype\": \"F32\", \"shape\": [1]}                       | missing field 'data_offsets'",
            "{\"dtype\": 32, \"shape\": [1], \"data_offsets\": [0, 4]}  | field 'dtype' must be a string",
            "{\"dtype\": \"F32\", \"shape\": 1, \"data_offsets\": [0, 4]} | field 'shape' must be an array",
            "{\"dtype\": \"F32\", \"shape\": [1.0], \"data_offsets\": [0, 4]} | field 'shape' element 0 must be an integer",
            "{\"dtype\": \"F32\", \"shape\": [\"1\"], \"data_offsets\": [0, 4]} | field 'shape' element 0 must be an integer",
            "{\"dtype\": \"F32\", \"shape\": [1, 99999999999999999999], \"data_offsets\": [0, 4]} | field 'shape' element 1",
            "{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": {\"a\": 0}} | field 'data_offsets' must be an array",
            "{\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, null]} | field 'data_offsets' element 1 must be an integer",
    })
    void entryFieldsMissingOrOfTheWrongType(String entry, String message) throws IOException {
        rejectHeader("{\"layer.w\": " + entry + "}", 4, "tensor 'layer.w'", message);
    }

    @Test
    void unknownDType() throws IOException {
        rejectHeader("{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4,
                "tensor 'w'", "unsupported dtype 'F8_E4M3'", "BF16");
    }

    @Test
    void negativeDimension() throws IOException {
        rejectHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -2], \"data_offsets\": [0, 0]}}", 0,
                "tensor 'w'", "negative dimension", "[2, -2]");
    }

    @Test
    void elementCountOverflow() throws IOException {
        rejectHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296], \"data_offsets\": [0, 0]}}", 0,
                "tensor 'w'", "overflows");
        // The element count fits a long but the byte count does not.
        rejectHeader("{\"w\": {\"dtype\": \"F64\", \"shape\": [4611686018427387904], \"data_offsets\": [0, 0]}}", 0,
                "tensor 'w'", "overflows");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "[0]          | data_offsets must be [begin, end]",
            "[0, 4, 8]    | data_offsets must be [begin, end]",
            "[-4, 0]      | 0 <= begin <= end <= 16",
            "[8, 4]       | 0 <= begin <= end <= 16",
            "[12, 20]     | 0 <= begin <= end <= 16",
            "[0, 8]       | span 8 bytes but F32 [1] needs 4",
    })
    void badDataOffsets(String offsets, String message) throws IOException {
        rejectHeader("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": " + offsets + "}}", 16,
                "tensor 'w'", message);
    }

    @Test
    void overlappingTensors() throws IOException {
        rejectHeader("""
                {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "c": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]},
                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", 16,
                "'a' [0, 8]", "'b' [4, 12]", "overlap");
        rejectHeader("""
                {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                 "a2": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}""", 4, "'a'", "'a2'", "overlap");
    }

    @Test
    void metadataMustMapStringsToStrings() throws IOException {
        rejectHeader("{\"__metadata__\": {\"format\": \"pt\", \"top_k\": 2}}", 0, "__metadata__", "'top_k'",
                "must be a string", "number 2");
        rejectHeader("{\"__metadata__\": [\"pt\"]}", 0, "__metadata__ must be a JSON object");
    }
}
