package io.moe4j.models.tokenizer;

import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every golden case of every fixture tokenizer: moe4j's ids and texts must equal what the {@code tokenizers}
 * package gave, exactly, both ways.
 */
class TokenizerGoldenTest {

    @TestFactory
    Stream<DynamicNode> goldenCases() {
        return Fixtures.goldenNames().stream().map(name -> {
            Fixtures.Golden golden = Fixtures.golden(name);
            Tokenizer tokenizer = Fixtures.load(name);
            List<DynamicNode> tests = new ArrayList<>();
            tests.add(DynamicTest.dynamicTest("vocabulary size",
                    () -> assertEquals(golden.vocabularySize(), tokenizer.vocabularySize())));
            for (int i = 0; i < golden.cases().size(); i++) {
                Fixtures.Case c = golden.cases().get(i);
                String label = i + " " + Fixtures.show(c.text());
                tests.add(DynamicTest.dynamicTest("encode " + label, () -> checkEncode(tokenizer, c)));
                tests.add(DynamicTest.dynamicTest("decode " + label, () -> checkDecode(tokenizer, c)));
                tests.add(DynamicTest.dynamicTest("stream " + label, () -> checkStream(tokenizer, c.idsSpecial(),
                        c.decoded(), c.decodedSkip(), c.stream())));
            }
            for (int i = 0; i < golden.decodeCases().size(); i++) {
                Fixtures.DecodeCase c = golden.decodeCases().get(i);
                tests.add(DynamicTest.dynamicTest("decode ids " + i + " " + Arrays.toString(c.ids()), () -> {
                    assertEquals(c.decoded(), tokenizer.decode(c.ids(), false), "skipSpecialTokens false");
                    assertEquals(c.decodedSkip(), tokenizer.decode(c.ids(), true), "skipSpecialTokens true");
                    checkStream(tokenizer, c.ids(), c.decoded(), c.decodedSkip(), c.stream());
                }));
            }
            return DynamicContainer.dynamicContainer(name, tests);
        });
    }

    private static void checkEncode(Tokenizer tokenizer, Fixtures.Case c) {
        assertIds(tokenizer, c.ids(), tokenizer.encode(c.text(), false), "encode(text, false)");
        assertIds(tokenizer, c.idsSpecial(), tokenizer.encode(c.text(), true), "encode(text, true)");
        assertIds(tokenizer, c.idsSpecial(), tokenizer.encode(c.text()), "encode(text)");
    }

    private static void checkDecode(Tokenizer tokenizer, Fixtures.Case c) {
        assertEquals(c.decoded(), tokenizer.decode(c.idsSpecial(), false), "decode(ids, false)");
        assertEquals(c.decodedSkip(), tokenizer.decode(c.idsSpecial(), true), "decode(ids, true)");
        if (c.decodedSkip().equals(c.text())) {
            // tokenizers round-trips this text, so must we.
            assertEquals(c.text(), tokenizer.decode(tokenizer.encode(c.text())), "decode(encode(text))");
        }
    }

    /**
     * Streaming reproduces the full decode in both modes; where no byte token is involved (which moe4j holds
     * back and tokenizers does not) the chunks are also DecodeStream's, one for one.
     */
    private static void checkStream(Tokenizer tokenizer, int[] ids, String decoded, String decodedSkip,
                                     List<String> expectedChunks) {
        for (boolean skip : new boolean[] {false, true}) {
            TokenStreamDecoder stream = new TokenStreamDecoder(tokenizer, skip);
            List<String> chunks = new ArrayList<>();
            for (int id : ids) chunks.add(stream.step(id));
            String rest = stream.finish();
            assertEquals(skip ? decodedSkip : decoded, String.join("", chunks) + rest,
                    "streamed text, skipSpecialTokens " + skip + ", chunks " + chunks + " + " + Fixtures.show(rest));
            if (!skip && expectedChunks != null && Arrays.stream(ids).noneMatch(id -> isByteToken(tokenizer, id))) {
                assertEquals(expectedChunks, chunks, "chunks of tokenizers' DecodeStream");
            }
        }
    }

    private static boolean isByteToken(Tokenizer tokenizer, int id) {
        try {
            return tokenizer.tokenText(id).matches("<0x[0-9A-F]{2}>");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Equal ids, or a message showing where they part and the tokens around it. */
    static void assertIds(Tokenizer tokenizer, int[] expected, int[] actual, String what) {
        if (Arrays.equals(expected, actual)) return;
        int at = Arrays.mismatch(expected, actual);
        fail(what + ": ids differ at index " + at + " (expected " + expected.length + " ids, got " + actual.length
                + ")\n  expected ..." + tokens(tokenizer, expected, at) + "\n  actual   ..." + tokens(tokenizer, actual, at));
    }

    private static String tokens(Tokenizer tokenizer, int[] ids, int at) {
        StringBuilder out = new StringBuilder();
        for (int i = Math.max(0, at - 3); i < Math.min(ids.length, at + 6); i++) {
            String text;
            try {
                text = tokenizer.tokenText(ids[i]);
            } catch (IllegalArgumentException e) {
                text = "?";
            }
            out.append(' ').append(ids[i]).append('=').append(Fixtures.show(text));
        }
        return out.toString();
    }
}
