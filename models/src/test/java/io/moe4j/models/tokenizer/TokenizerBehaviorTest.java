package io.moe4j.models.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.OptionalInt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model settings and the public API on hand-made files; expected ids checked with {@code tokenizers}. */
class TokenizerBehaviorTest {
    @TempDir
    Path dir;

    private Tokenizer tokenizer(String topLevel, String model) {
        return SmallTokenizers.load(dir, topLevel, model);
    }

    @Test
    void mergesLowestRankFirstAndUnknownCharactersBecomeUnk() {
        Tokenizer t = tokenizer(null, null);
        assertArrayEquals(new int[] {5, 0, 0, 4}, t.encode("abcxxab"));
        assertArrayEquals(new int[] {6, 5}, t.encode("bcabc"));
    }

    @Test
    void mergesAsPairsMeanTheSameAsMergesAsStrings() {
        Tokenizer t = tokenizer(null, """
                {"merges": [["a", "b"], ["ab", "c"], ["b", "c"], ["▁", "a"], ["c", "c"]]}""");
        assertArrayEquals(new int[] {5, 0, 0, 4}, t.encode("abcxxab"));
    }

    @Test
    void fuseUnkJoinsNeighbouringUnknownCharacters() {
        assertArrayEquals(new int[] {5, 0, 4}, tokenizer(null, "{\"fuse_unk\": true}").encode("abcxxab"));
    }

    @Test
    void withoutUnkTokenUnknownCharactersVanish() {
        assertArrayEquals(new int[] {4}, tokenizer(null, "{\"unk_token\": null}").encode("axxb"));
    }

    @Test
    void ignoreMergesTakesWholeVocabularyEntries() {
        String vocab = """
                "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "abc": 5, "bc": 6, "▁": 7, "▁a": 8, "cc": 9, "abcc": 10},
                "merges": ["a b", "b c", "c c"]""";
        Tokenizer ignoring = tokenizer(null, "{\"ignore_merges\": true, " + vocab + "}");
        assertArrayEquals(new int[] {10}, ignoring.encode("abcc"));
        assertArrayEquals(new int[] {5}, ignoring.encode("abc"));
        assertArrayEquals(new int[] {4, 9}, tokenizer(null, "{\"ignore_merges\": false, " + vocab + "}").encode("abcc"));
    }

    @Test
    void metaspacePrependSchemes() {
        String never = """
                {"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": true}}""";
        assertArrayEquals(new int[] {1, 8}, tokenizer(never, null).encode("a a"));
        // Files from before prepend_scheme existed.
        String legacy = """
                {"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": true, "str_rep": "▁"}}""";
        assertArrayEquals(new int[] {8, 8}, tokenizer(legacy, null).encode("a a"));
        String legacyOff = """
                {"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "add_prefix_space": false,
                                   "prepend_scheme": "never"}}""";
        assertArrayEquals(new int[] {1, 8}, tokenizer(legacyOff, null).encode("a a"));
    }

    @Test
    void lowercaseNormalizer() {
        assertArrayEquals(new int[] {5}, tokenizer("{\"normalizer\": {\"type\": \"Lowercase\"}}", null).encode("ABC"));
    }

    @Test
    void addedTokensPostProcessorAndLookups() {
        Tokenizer t = tokenizer("""
                {"added_tokens": [
                   {"id": 10, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": false, "special": true},
                   {"id": 11, "content": "[x]", "single_word": false, "lstrip": false, "rstrip": false,
                    "normalized": true, "special": false}],
                 "post_processor": {"type": "BertProcessing", "sep": ["<s>", 10], "cls": ["<s>", 10]},
                 "decoder": {"type": "Fuse"}}""", null);
        assertArrayEquals(new int[] {10, 4, 10, 3, 11, 10}, t.encode("ab<s>c[x]"));
        assertArrayEquals(new int[] {4, 10, 3, 11}, t.encode("ab<s>c[x]", false));
        assertEquals(12, t.vocabularySize());
        // Unknown ids (99) are skipped, special ones only on request.
        assertEquals("ab[x]", t.decode(new int[] {10, 4, 11, 99}));
        assertEquals("<s>ab[x]", t.decode(new int[] {10, 4, 11, 99}, false));
        assertEquals("<s>", t.tokenText(10));
        assertEquals("▁a", t.tokenText(8));
        assertThrows(IllegalArgumentException.class, () -> t.tokenText(99));
        assertEquals(OptionalInt.of(11), t.tokenId("[x]"));
        assertEquals(OptionalInt.of(6), t.tokenId("bc"));
        assertEquals(OptionalInt.empty(), t.tokenId("zz"));
        assertTrue(t.isSpecial(10));
        assertFalse(t.isSpecial(11));
        assertFalse(t.isSpecial(4));
    }

    @Test
    void withoutDecoderTokensAreJoinedWithSpaces() {
        assertEquals("ab c", tokenizer(null, null).decode(new int[] {4, 3}));
    }

    @Test
    void llamaAddsBosOnlyWhenAsked() {
        Tokenizer llama = Fixtures.load("llama2");
        int bos = llama.tokenId("<s>").orElseThrow();
        assertEquals(1, bos);
        assertEquals(bos, llama.encode("Hello")[0]);
        assertTrue(llama.encode("Hello", false)[0] != bos);
        assertArrayEquals(new int[] {bos}, llama.encode(""));
        assertArrayEquals(new int[0], llama.encode("", false));
        assertEquals("Hello", llama.decode(llama.encode("Hello")));
        assertEquals("<s> Hello", llama.decode(llama.encode("Hello"), false));
    }

    @Test
    void streamingNeverShowsHalfACharacter() {
        for (String name : Fixtures.NAMES) {
            Tokenizer t = Fixtures.load(name);
            String text = "emoji 🫠👨‍👩‍👧‍👦 ภาษาไทย 𝄞 €";
            TokenStreamDecoder stream = new TokenStreamDecoder(t, false);
            StringBuilder all = new StringBuilder();
            for (int id : t.encode(text)) {
                String chunk = stream.step(id);
                assertFalse(chunk.contains("\uFFFD"), name + ": chunk " + Fixtures.show(chunk));
                all.append(chunk);
            }
            all.append(stream.finish());
            assertEquals(t.decode(t.encode(text), false), all.toString(), name);
            assertEquals("", stream.finish(), name + ": finish starts over");
        }
    }

    @Test
    void streamingHoldsByteTokensBackUntilTheirRunEnds() {
        Tokenizer llama = Fixtures.load("llama2");
        int e2 = llama.tokenId("<0xE2>").orElseThrow();
        int x82 = llama.tokenId("<0x82>").orElseThrow();
        int xac = llama.tokenId("<0xAC>").orElseThrow();
        int a = llama.tokenId("a").orElseThrow();
        TokenStreamDecoder stream = new TokenStreamDecoder(llama);
        assertEquals("", stream.step(e2));
        assertEquals("", stream.step(x82));
        assertEquals("", stream.step(xac));
        assertEquals("€a", stream.step(a));
        assertEquals("", stream.step(e2));
        assertEquals("\uFFFD", stream.finish()); // an unfinished character, as decode shows it
    }
}
