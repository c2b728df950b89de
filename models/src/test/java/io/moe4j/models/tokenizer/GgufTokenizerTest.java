package io.moe4j.models.tokenizer;

import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.GoldenFiles;
import io.moe4j.models.format.gguf.GgufArray;
import io.moe4j.models.format.gguf.GgufValue;
import io.moe4j.models.format.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GGUF tokenizers against the {@code tokenizers} package: {@code gguf-<name>.gguf} holds the vocabulary of
 * {@code <name>.json} converted by {@code tools/tokenizer-fixtures/make_gguf_fixtures.py}, so its encodings must be
 * the ids in {@code <name>.cases.json}. Then llama.cpp's rules where they are not the tokenizer.json's, decoding,
 * streaming, the errors for broken metadata, and the tiny Mixtral GGUF of {@code shared/golden} (skipped
 * where that is absent).
 */
class GgufTokenizerTest {

    private static Tokenizer gguf(String name) {
        try {
            return GgufTokenizers.load(Fixtures.path("gguf-" + name + ".gguf"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Where llama.cpp and Llama's tokenizer.json part: the {@code llama2} fixture's {@code <|tool|>} is a
     * normalized, non-special added token, which {@code tokenizers} matches after its normalizer has put the
     * one leading {@code '▁'} in front of the whole text; llama.cpp matches it as a user-defined token in the raw
     * text and gives the text after it its own leading space. Those cases are checked by hand below.
     */
    private static boolean sameRules(String name, String text) {
        // (tokenizers also decodes such a token as its normalized form, "▁<|tool|>", so decoding differs too.)
        return !(name.equals("llama2") && text.contains("<|tool|>"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "gpt2", "cl100k"})
    void encodesAsTokenizersDoes(String name) {
        Tokenizer tokenizer = gguf(name);
        Fixtures.Golden golden = Fixtures.golden(name);
        assertEquals(golden.vocabularySize(), tokenizer.vocabularySize());
        int checked = 0;
        List<String> failures = new ArrayList<>();
        for (Fixtures.Case c : golden.cases()) {
            if (!sameRules(name, c.text())) continue;
            checked++;
            int[] ids = tokenizer.encode(c.text(), false);
            int[] idsSpecial = tokenizer.encode(c.text(), true);
            if (!Arrays.equals(c.ids(), ids) || !Arrays.equals(c.idsSpecial(), idsSpecial)) {
                failures.add(Fixtures.show(c.text()) + ": expected " + Arrays.toString(c.idsSpecial()) + " got "
                        + Arrays.toString(idsSpecial));
            }
        }
        assertTrue(checked > 50, "only " + checked + " cases checked");
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " differ:\n" + String.join("\n",
                failures.subList(0, Math.min(10, failures.size()))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "gpt2", "cl100k"})
    void decodesAsTokenizersDoes(String name) {
        Tokenizer tokenizer = gguf(name);
        Fixtures.Golden golden = Fixtures.golden(name);
        for (Fixtures.Case c : golden.cases()) {
            if (!sameRules(name, c.text())) continue;
            assertEquals(c.decoded(), tokenizer.decode(c.idsSpecial(), false), Fixtures.show(c.text()));
            assertEquals(c.decodedSkip(), tokenizer.decode(c.idsSpecial(), true), Fixtures.show(c.text()));
            assertEquals(c.decodedSkip(), stream(tokenizer, c.idsSpecial()), Fixtures.show(c.text()));
        }
        for (Fixtures.DecodeCase c : golden.decodeCases()) {
            assertEquals(c.decoded(), tokenizer.decode(c.ids(), false), Arrays.toString(c.ids()));
            assertEquals(c.decodedSkip(), tokenizer.decode(c.ids(), true), Arrays.toString(c.ids()));
            assertEquals(c.decodedSkip(), stream(tokenizer, c.ids()), Arrays.toString(c.ids()));
        }
    }

    private static String stream(Tokenizer tokenizer, int[] ids) {
        TokenStreamDecoder decoder = new TokenStreamDecoder(tokenizer);
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(decoder.step(id));
        return out.append(decoder.finish()).toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama2", "gpt2", "cl100k"})
    void roundTrips(String name) {
        Tokenizer tokenizer = gguf(name);
        for (String text : List.of("Hello world", " leading space", "  two  spaces ", "tabs\tand\nnewlines\n\n",
                "naïve café, Grüße, Ελληνικά, русский, 日本語のテキスト", "emoji 🦙🚀👩‍👩‍👧 and ✓", "", " ",
                "<|endoftext|> after a special", "\u0000\u0001 control bytes")) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, false), false), Fixtures.show(text));
        }
    }

    @Test
    void llamaRulesOfLlamaCpp() {
        Tokenizer llama = gguf("llama2");
        Tokenizer json = Fixtures.load("llama2");
        int tool = llama.tokenId("<|tool|>").orElseThrow();
        assertFalse(llama.isSpecial(tool), "user-defined tokens are not special");
        assertTrue(llama.isSpecial(1) && llama.isSpecial(2) && llama.isSpecial(0), "control and unknown are");
        // After a matched token the text gets its own leading space, so "<|tool|>call" tokenizes "call" as the
        // text " call" would.
        int[] after = llama.encode("<|tool|>call", false);
        assertEquals(tool, after[0]);
        assertArrayEquals(json.encode("call", false), Arrays.copyOfRange(after, 1, after.length));
        int[] before = llama.encode("run<|tool|>", false);
        assertArrayEquals(json.encode("run", false), Arrays.copyOf(before, before.length - 1));
        // So text around control tokens does not round-trip: each stretch gets its space, as in llama.cpp.
        assertEquals("mixed<s> in</s> text", llama.decode(llama.encode("mixed<s>in</s>text", false), false));
        assertEquals("mixed<s>in</s>text", gguf("gpt2").decode(gguf("gpt2").encode("mixed<s>in</s>text", false), false));
        assertEquals("run<|tool|> call", llama.decode(llama.encode("run<|tool|>call", false)));
        // A character the vocabulary lacks becomes its UTF-8 byte tokens.
        int[] emoji = llama.encode("🦙", false);
        assertEquals("▁", llama.tokenText(emoji[0]));
        assertEquals(List.of("<0xF0>", "<0x9F>", "<0xA6>", "<0x99>"),
                Arrays.stream(emoji, 1, emoji.length).mapToObj(llama::tokenText).toList());
        assertEquals("🦙", llama.decode(emoji));
        // BOS from add_bos_token, no EOS.
        assertArrayEquals(new int[] {1}, llama.encode("", true));
        assertArrayEquals(new int[0], llama.encode("", false));
    }

    /** A hand-made SentencePiece vocabulary: merges by score, leftmost on ties, bytes, unknown, BOS/EOS. */
    @Test
    void sentencePieceMergesByScore(@TempDir Path dir) throws IOException {
        // 0 <unk>, 1 <s>, 2 </s>, 3 <0x41> ('A'), then pieces with scores.
        String[] tokens = {"<unk>", "<s>", "</s>", "<0x41>", "▁", "a", "b", "c", "ab", "bc", "▁a", "abc", "[X]"};
        float[] scores = {0, 0, 0, 0, -1, -2, -3, -4, -10, -5, -6, -20, 0};
        int[] types = {2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 1, 1, 4};
        Path file = writeLlama(dir, tokens, scores, types, w -> w
                .metadata(GgufTokenizers.ADD_EOS, GgufValue.bool(true)));
        Tokenizer spm = GgufTokenizers.load(file);
        // "▁abc": bigrams ▁a (-6), ab (-10), bc (-5): bc merges first, then ▁a, then nothing ("▁abc" absent).
        assertEquals(List.of("<s>", "▁a", "bc", "</s>"), texts(spm, spm.encode("abc")));
        // Equal scores: "cc" is no token; "abab" → "▁a"(-6) first at the left, then "ab" at the right.
        assertEquals(List.of("▁a", "b", "ab"), texts(spm, spm.encode("abab", false)));
        // 'A' has a byte token, 'Z' has neither token nor byte token: unknown.
        assertEquals(List.of("▁", "<0x41>", "<unk>", "[X]", "▁a"), texts(spm, spm.encode("AZ[X]a", false)));
        assertEquals("A<unk>[X] a", spm.decode(spm.encode("AZ[X]a", false), false));
        assertEquals("Aa", spm.decode(new int[] {1, 3, 5, 2}));
        assertEquals(tokens.length, spm.vocabularySize());
        assertThrows(IllegalArgumentException.class, () -> spm.tokenText(tokens.length));
    }

    @Test
    void addSpacePrefixOff(@TempDir Path dir) throws IOException {
        String[] tokens = {"<unk>", "a", "▁", "▁a"};
        Path file = writeLlama(dir, tokens, new float[] {0, -1, -2, -3}, new int[] {2, 1, 1, 1}, w -> w
                .metadata(GgufTokenizers.ADD_SPACE_PREFIX, GgufValue.bool(false))
                .metadata(GgufTokenizers.ADD_BOS, GgufValue.bool(false)));
        Tokenizer spm = GgufTokenizers.load(file);
        assertEquals(List.of("a", "▁a"), texts(spm, spm.encode("a a")));
        assertEquals(" a", spm.decode(spm.encode(" a")));
    }

    private static List<String> texts(Tokenizer tokenizer, int[] ids) {
        return Arrays.stream(ids).mapToObj(tokenizer::tokenText).toList();
    }

    private static Path writeLlama(Path dir, String[] tokens, float[] scores, int[] types, Consumer<GgufWriter> more)
            throws IOException {
        GgufWriter writer = new GgufWriter()
                .metadata(GgufTokenizers.MODEL, GgufValue.string("llama"))
                .metadata(GgufTokenizers.TOKENS, GgufValue.array(GgufArray.ofStrings(tokens)))
                .metadata(GgufTokenizers.SCORES, GgufValue.array(GgufArray.ofFloat32(scores)))
                .metadata(GgufTokenizers.TYPES, GgufValue.array(GgufArray.ofInt32(types)))
                .metadata(GgufTokenizers.BOS, GgufValue.uint32(1))
                .metadata(GgufTokenizers.EOS, GgufValue.uint32(2))
                .metadata(GgufTokenizers.UNK, GgufValue.uint32(0));
        more.accept(writer);
        Path file = Files.createTempFile(dir, "vocab", ".gguf");
        writer.write(file);
        return file;
    }

    private static Path writeGpt2(Path dir, String[] tokens, String[] merges, Consumer<GgufWriter> more)
            throws IOException {
        GgufWriter writer = new GgufWriter()
                .metadata(GgufTokenizers.MODEL, GgufValue.string("gpt2"))
                .metadata(GgufTokenizers.PRE, GgufValue.string("gpt-2"))
                .metadata(GgufTokenizers.TOKENS, GgufValue.array(GgufArray.ofStrings(tokens)))
                .metadata(GgufTokenizers.MERGES, GgufValue.array(GgufArray.ofStrings(merges)));
        more.accept(writer);
        Path file = Files.createTempFile(dir, "vocab", ".gguf");
        writer.write(file);
        return file;
    }

    private static void assertMessage(Class<? extends Throwable> type, Path file, String... parts) {
        Throwable e = assertThrows(type, () -> GgufTokenizers.load(file));
        for (String part : parts) assertTrue(e.getMessage().contains(part), e.getMessage() + " lacks " + part);
    }

    @Test
    void brokenLlamaMetadataIsNamed(@TempDir Path dir) throws IOException {
        String[] tokens = {"<unk>", "<s>", "</s>", "a"};
        float[] scores = {0, 0, 0, -1};
        int[] types = {2, 3, 3, 1};
        assertMessage(FormatException.class, writeLlama(dir, tokens, new float[] {0, 0, 0}, types, w -> {}),
                GgufTokenizers.SCORES, "3 entries", GgufTokenizers.TOKENS, "4");
        assertMessage(FormatException.class, writeLlama(dir, tokens, scores, new int[] {2, 3, 3}, w -> {}),
                GgufTokenizers.TYPES, "3 entries");
        assertMessage(FormatException.class, writeLlama(dir, tokens, scores, new int[] {2, 3, 3, 9}, w -> {}),
                GgufTokenizers.TYPES + "[3]", "9");
        assertMessage(FormatException.class, writeLlama(dir, tokens, scores, types,
                w -> w.metadata(GgufTokenizers.BOS, GgufValue.uint32(4))), GgufTokenizers.BOS, "4");
        assertMessage(FormatException.class, writeLlama(dir, tokens, scores, types,
                w -> w.metadata(GgufTokenizers.PAD, GgufValue.int32(-1))), GgufTokenizers.PAD);
        assertMessage(FormatException.class, writeLlama(dir, tokens, scores, types,
                w -> w.metadata(GgufTokenizers.SCORES, GgufValue.string("no"))), GgufTokenizers.SCORES);
        assertMessage(FormatException.class, writeLlama(dir, new String[0], new float[0], new int[0], w -> {}),
                GgufTokenizers.TOKENS, "empty");
        assertMessage(UnsupportedComponentException.class, writeLlama(dir, tokens, scores, types,
                w -> w.metadata(GgufTokenizers.MODEL, GgufValue.string("bert"))), GgufTokenizers.MODEL, "bert");
        Path noScores = dir.resolve("no-scores.gguf");
        new GgufWriter().metadata(GgufTokenizers.MODEL, GgufValue.string("llama"))
                .metadata(GgufTokenizers.TOKENS, GgufValue.array(GgufArray.ofStrings(tokens))).write(noScores);
        assertMessage(FormatException.class, noScores, GgufTokenizers.SCORES, "missing");
        Path noModel = dir.resolve("no-model.gguf");
        new GgufWriter().metadata(GgufTokenizers.TOKENS, GgufValue.array(GgufArray.ofStrings(tokens))).write(noModel);
        assertMessage(FormatException.class, noModel, GgufTokenizers.MODEL, "missing");
    }

    @Test
    void brokenGpt2MetadataIsNamed(@TempDir Path dir) throws IOException {
        String[] tokens = {"a", "b", "ab", "Ġ"};
        Tokenizer ok = GgufTokenizers.load(writeGpt2(dir, tokens, new String[] {"a b"}, w -> {}));
        assertArrayEquals(new int[] {2, 3, 0}, ok.encode("ab a", false));
        assertMessage(FormatException.class, writeGpt2(dir, tokens, new String[] {"a c"}, w -> {}),
                GgufTokenizers.MERGES, "\"c\"");
        assertMessage(FormatException.class, writeGpt2(dir, tokens, new String[] {"ab"}, w -> {}),
                GgufTokenizers.MERGES + "[0]", "\"ab\"");
        assertMessage(FormatException.class, writeGpt2(dir, tokens, new String[] {"a b"},
                w -> w.metadata(GgufTokenizers.TYPES, GgufValue.array(GgufArray.ofInt32(1, 1)))),
                GgufTokenizers.TYPES, "2 entries");
        assertMessage(UnsupportedComponentException.class, writeGpt2(dir, tokens, new String[] {"a b"},
                w -> w.metadata(GgufTokenizers.PRE, GgufValue.string("deepseek-coder"))), GgufTokenizers.PRE,
                "deepseek-coder");
        Path noMerges = dir.resolve("no-merges.gguf");
        new GgufWriter().metadata(GgufTokenizers.MODEL, GgufValue.string("gpt2"))
                .metadata(GgufTokenizers.PRE, GgufValue.string("gpt-2"))
                .metadata(GgufTokenizers.TOKENS, GgufValue.array(GgufArray.ofStrings(tokens))).write(noMerges);
        assertMessage(FormatException.class, noMerges, GgufTokenizers.MERGES, "missing");
    }

    @Test
    void gpt2AddsBosAndEosWhenAsked(@TempDir Path dir) throws IOException {
        String[] tokens = {"a", "b", "ab", "<|endoftext|>"};
        Tokenizer tokenizer = GgufTokenizers.load(writeGpt2(dir, tokens, new String[] {"a b"}, w -> w
                .metadata(GgufTokenizers.TYPES, GgufValue.array(GgufArray.ofInt32(1, 1, 1, 3)))
                .metadata(GgufTokenizers.BOS, GgufValue.uint32(3))
                .metadata(GgufTokenizers.EOS, GgufValue.uint32(3))
                .metadata(GgufTokenizers.ADD_BOS, GgufValue.bool(true))
                .metadata(GgufTokenizers.ADD_EOS, GgufValue.bool(true))));
        assertArrayEquals(new int[] {3, 2, 3}, tokenizer.encode("ab"));
        assertArrayEquals(new int[] {2, 3, 1}, tokenizer.encode("ab<|endoftext|>b", false));
        assertTrue(tokenizer.isSpecial(3));
        assertEquals("abb", tokenizer.decode(new int[] {3, 2, 3, 1}));
        assertEquals("<|endoftext|>ab<|endoftext|>", tokenizer.decode(new int[] {3, 2, 3}, false));
    }

    /** The synthetic SentencePiece vocabulary of the tiny Mixtral in {@code shared/golden/gguf}. */
    @Test
    void tinyMixtralVocabulary() throws IOException {
        Path file = GoldenFiles.require("gguf/mixtral-tiny-f32.Q8_0.gguf");
        Tokenizer tokenizer = GgufTokenizers.load(file);
        assertEquals(320, tokenizer.vocabularySize());
        assertEquals("<unk>", tokenizer.tokenText(0));
        assertTrue(tokenizer.isSpecial(1) && tokenizer.isSpecial(2));
        // Ids 3..258 are the byte tokens <0x00>..<0xFF>; 259.. are "▁t0", "▁t1", … with scores 0, -1, ….
        assertEquals("<0x41>", tokenizer.tokenText(3 + 0x41));
        assertEquals("▁t1", tokenizer.tokenText(260));
        // No single character ("▁", "t", "0") and no two-character string is a token, so no pair ever merges
        // and "▁t0" cannot be reached: every character becomes its UTF-8 bytes ("▁" is E2 96 81), as in
        // llama.cpp. add_bos_token is false in this file, so no <s> either.
        int[] bytes = {3 + 0xE2, 3 + 0x96, 3 + 0x81, 3 + 't', 3 + '0'};
        assertArrayEquals(bytes, tokenizer.encode("t0"));
        assertArrayEquals(new int[] {3 + 0xE2, 3 + 0x96, 3 + 0x81, 3 + 'h', 3 + 'i', 3 + 0xE2, 3 + 0x96, 3 + 0x81},
                tokenizer.encode("hi ", false));
        assertArrayEquals(new int[] {1, 3 + 0xE2, 3 + 0x96, 3 + 0x81, 3 + 'x'}, tokenizer.encode("<s>x", false));
        // Decoding: the first token's "▁" is the prefix encoding adds and goes; later ones are spaces.
        assertEquals("t0 t1", tokenizer.decode(new int[] {259, 260}));
        // A "▁" spelled by byte tokens stays "▁": only tokens' own "▁" stand for spaces (tokenizers' Llama decoder
        // replaces before it reads bytes; llama.cpp unescapes only normal tokens).
        assertEquals("▁t0", tokenizer.decode(bytes));
        assertEquals("<s> t5</s>", tokenizer.decode(new int[] {1, 264, 2}, false));
        assertEquals("t5", tokenizer.decode(new int[] {1, 264, 2}));
        assertEquals("t0 t1", stream(tokenizer, new int[] {1, 259, 260, 2}));
    }
}
