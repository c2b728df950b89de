package io.moe4j.models.tokenizer;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The small rules the pipeline is built on: Oniguruma regex translation, Rust's UTF-8 repair, split
 * behaviors. (The golden and fuzz fixtures check them end to end against {@code tokenizers}.)
 */
class TextRulesTest {

    @Test
    void onigurumaIntervalsFollowedByPlusRepeatInsteadOfBeingPossessive() {
        assertEquals("(?:\\p{N}{1,3})+", OnigRegex.toJava("\\p{N}{1,3}+"));
        assertEquals("(?:(ab){2})+c", OnigRegex.toJava("(ab){2}+c"));
        assertEquals("(?:[a-z]{1,})+", OnigRegex.toJava("[a-z]{1,}+"));
        assertEquals("x{0,3}", OnigRegex.toJava("x{,3}"));
        assertEquals(List.of("12345"), matches("\\p{N}{1,3}+", "12345"));
        assertEquals(List.of("Af0"), matches("\\h+", "xAf0g"));
        // ?+ ++ *+ are possessive in both.
        assertEquals("[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++[\\r\\n]*+", OnigRegex.toJava("[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++[\\r\\n]*+"));
    }

    @Test
    void onigurumaEscapesAndBraces() {
        assertEquals("[0-9a-fA-F]+[^0-9a-fA-F]", OnigRegex.toJava("\\h+\\H"));
        assertEquals("[x0-9a-fA-F]", OnigRegex.toJava("[x\\h]"));
        assertEquals("\\P{L}\\p{N}", OnigRegex.toJava("\\p{^L}\\P{^N}"));
        assertEquals("a\\{\\}b", OnigRegex.toJava("a{}b"));
        assertEquals("[\\]x]", OnigRegex.toJava("[]x]"));
        assertEquals("(?i:'s|'t)|\\s+(?!\\S)", OnigRegex.toJava("(?i:'s|'t)|\\s+(?!\\S)"));
    }

    @Test
    void onigurumaLineAnchorsAndCaseFolding() {
        // $ ends lines; a possessive run of whitespace that swallows the \n cannot give it back.
        assertEquals(List.of("  ", " "), matches("\\s+$", "a  \nb "));
        assertEquals(List.of(" "), matches("\\s++$", "a  \nb "));
        assertEquals(List.of("'S", "'ſ"), matches("(?i:'s)", "'S 'ſ"));
        assertEquals(List.of("\u00a0\u3000"), matches("\\s+", "a\u00a0\u3000b"));
    }

    @Test
    void utf8RepairReplacesEachMaximalBadSubsequence() {
        assertEquals("€", lossy(0xE2, 0x82, 0xAC));
        assertEquals("\uFFFD", lossy(0xF0, 0x9F, 0x98));
        assertEquals("\uFFFD(\uFFFD", lossy(0xE2, 0x28, 0xA1));
        assertEquals("\uFFFD\uFFFD", lossy(0xC0, 0xAF));
        assertEquals("\uFFFD\uFFFD\uFFFD", lossy(0xED, 0xA0, 0x80));
        assertEquals("\uFFFD\uFFFD\uFFFD\uFFFD", lossy(0xF4, 0x90, 0x80, 0x80));
        assertEquals("\uD83D\uDE00", lossy(0xF0, 0x9F, 0x98, 0x80));
        assertEquals(null, Utf8.decodeStrict(new byte[] {(byte) 0xE2}, 1));
    }

    @Test
    void splitBehaviorsOnTheDocumentedExample() {
        assertEquals(List.of("the", "final", "countdown"), split(SplitBehavior.REMOVED));
        assertEquals(List.of("the", "-", "final", "-", "-", "countdown"), split(SplitBehavior.ISOLATED));
        assertEquals(List.of("the-", "final-", "-", "countdown"), split(SplitBehavior.MERGED_WITH_PREVIOUS));
        assertEquals(List.of("the", "-final", "-", "-countdown"), split(SplitBehavior.MERGED_WITH_NEXT));
        assertEquals(List.of("the", "-", "final", "--", "countdown"), split(SplitBehavior.CONTIGUOUS));
    }

    private static List<String> split(SplitBehavior behavior) {
        String text = "the-final--countdown";
        return behavior.apply(Patterns.find(cp -> cp == '-', text)).stream()
                .map(r -> text.substring(r.start(), r.end())).filter(s -> !s.isEmpty()).toList();
    }

    private static List<String> matches(String onig, String text) {
        Matcher m = OnigRegex.compile(onig).matcher(text);
        return m.results().map(r -> r.group()).toList();
    }

    private static String lossy(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Utf8.decodeLossy(b, b.length);
    }

}
