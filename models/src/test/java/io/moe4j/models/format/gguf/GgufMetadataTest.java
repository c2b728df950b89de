package io.moe4j.models.format.gguf;

import io.moe4j.models.format.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The typed getters: what they convert, and the errors that name file, key and what was found. */
class GgufMetadataTest {
    private static final Path FILE = Path.of("model.gguf");
    private final GgufMetadata m = new GgufMetadata(FILE, GgufRoundTripTest.everyValueType());

    private void fails(Executable getter, String... fragments) {
        FormatException e = assertThrows(FormatException.class, getter);
        assertTrue(e.getMessage().startsWith("model.gguf: "), e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
    }

    @Test
    void missingKey() {
        fails(() -> m.getInt("llama.expert_count"), "metadata key 'llama.expert_count' is missing");
        fails(() -> m.getStrings("tokenizer.ggml.tokens"), "'tokenizer.ggml.tokens' is missing");
        assertFalse(m.contains("llama.expert_count"));
        assertTrue(m.find("llama.expert_count").isEmpty());
    }

    @Test
    void defaultsApplyOnlyToMissingKeys() {
        assertEquals(8, m.getInt("llama.expert_count", 8));
        assertEquals(1e6f, m.getFloat("llama.rope.freq_base", 1e6f));
        assertEquals("x", m.getString("absent", "x"));
        assertTrue(m.getBoolean("absent", true));
        assertEquals(255, m.getInt("u8", 0));
        // A present key of the wrong type is a broken file, not an absent setting.
        fails(() -> m.getInt("general.architecture", 0), "metadata key 'general.architecture' is string, not an integer");
    }

    @Test
    void wrongType() {
        fails(() -> m.getString("u32"), "metadata key 'u32' is uint32, not string");
        fails(() -> m.getBoolean("i8"), "metadata key 'i8' is int8, not bool");
        fails(() -> m.getFloat("f64"), "metadata key 'f64' is float64, not float32");
        fails(() -> m.getDouble("u8"), "is uint8, not float32 or float64");
        fails(() -> m.getArray("f32"), "metadata key 'f32' is float32, not array");
        fails(() -> m.getFloats("a.i32"), "metadata key 'a.i32' is an array of int32, not float32");
        fails(() -> m.getStrings("a.f32"), "is an array of float32, not string");
        fails(() -> m.getInts("a.str"), "is an array of string, not of integers");
    }

    @Test
    void integersMustFit() {
        assertEquals(4_294_967_295L, m.getLong("u32"));
        fails(() -> m.getInt("u32"), "metadata key 'u32' is uint32 4294967295, which does not fit an int");
        fails(() -> m.getLong("u64"), "metadata key 'u64' is uint64 18446744073709551615, which does not fit a long");
        fails(() -> m.getInt("i64"), "is int64 -9223372036854775808, which does not fit an int");
        fails(() -> m.getInts("a.u32"), "metadata key 'a.u32' element 0 is uint32 4294967295, which does not fit an int");
        fails(() -> m.getLongs("a.u64"), "element 0 is uint64 18446744073709551615, which does not fit a long");
        assertArrayEquals(new long[] {4_294_967_295L, 7}, m.getLongs("a.u32"));
        assertArrayEquals(new int[] {-1, 127}, m.getInts("a.i8"));
        assertArrayEquals(new int[] {-2, 3}, m.getInts("a.i16"));
    }

    @Test
    void typesAndDescriptions() {
        assertEquals(GgufValueType.UINT64, m.type("u64"));
        assertEquals("uint64 18446744073709551615", m.get("u64").toString());
        assertEquals("string \"llama\"", m.get("general.architecture").toString());
        assertEquals("array<string>[5] [\"<unk>\", \"<s>\", \"\", \"▁the\", \"<0x0A>\"]", m.getArray("a.str").toString());
        assertEquals(GgufValue.uint8(200), m.getArray("a.u8").get(1));
        assertEquals(GgufValue.uint32(4_294_967_295L), m.getArray("a.u32").get(0));
    }

    @Test
    void arraysAreImmutable() {
        float[] scores = m.getFloats("a.f32");
        scores[0] = 42;
        assertEquals(0f, m.getFloats("a.f32")[0]);
        assertThrows(UnsupportedOperationException.class, () -> m.getStrings("a.str").set(0, "x"));
        byte[] source = {1, 2};
        GgufArray a = GgufArray.ofUint8(source);
        source[0] = 9;
        assertEquals(1, a.toInts()[0]);
    }
}
