package io.moe4j.models.tokenizer;

import com.fasterxml.jackson.databind.node.TextNode;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The patterns of Split pre-tokenizers and Replace normalizers/decoders, and finding their matches.
 *
 * <p>{@code tokenizers} runs regexes with Oniguruma; {@link OnigRegex} gives them the same meaning in Java.
 */
final class Patterns {
    private Patterns() {}

    /** A {@code {"String": "…"}} (literal) or {@code {"Regex": "…"}} pattern object. */
    static Pattern parse(JsonConfig owner, String field) {
        JsonConfig pattern = owner.object(field);
        if (pattern.has("String")) return literal(pattern.string("String"));
        if (pattern.has("Regex")) return regex(pattern, pattern.string("Regex"));
        throw pattern.error("must hold \"String\" or \"Regex\"");
    }

    static Pattern literal(String text) {
        return Pattern.compile(Pattern.quote(text));
    }

    static Pattern regex(JsonConfig owner, String regex) {
        try {
            return OnigRegex.compile(regex);
        } catch (PatternSyntaxException e) {
            throw owner.error("regex " + TextNode.valueOf(regex) + " is not supported by java.util.regex: "
                    + e.getDescription());
        }
    }

    /** Matches and the gaps between them, covering {@code text} in order; one empty gap for empty text. */
    static List<SplitBehavior.Range> find(Pattern pattern, String text) {
        List<SplitBehavior.Range> out = new ArrayList<>();
        if (text.isEmpty()) {
            out.add(new SplitBehavior.Range(0, 0, false));
            return out;
        }
        Matcher matcher = pattern.matcher(text);
        int previous = 0;
        while (matcher.find()) {
            if (previous != matcher.start()) out.add(new SplitBehavior.Range(previous, matcher.start(), false));
            out.add(new SplitBehavior.Range(matcher.start(), matcher.end(), true));
            previous = matcher.end();
        }
        if (previous != text.length()) out.add(new SplitBehavior.Range(previous, text.length(), false));
        return out;
    }

    /** Each code point that {@code isDelimiter} accepts is its own match. */
    static List<SplitBehavior.Range> find(IntPredicate isDelimiter, String text) {
        List<SplitBehavior.Range> out = new ArrayList<>();
        if (text.isEmpty()) {
            out.add(new SplitBehavior.Range(0, 0, false));
            return out;
        }
        int gapStart = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            int next = i + Character.charCount(cp);
            if (isDelimiter.test(cp)) {
                if (gapStart < i) out.add(new SplitBehavior.Range(gapStart, i, false));
                out.add(new SplitBehavior.Range(i, next, true));
                gapStart = next;
            }
            i = next;
        }
        if (gapStart < text.length()) out.add(new SplitBehavior.Range(gapStart, text.length(), false));
        return out;
    }

    /** {@code text} with every match replaced by {@code content} (taken literally). */
    static String replace(Pattern pattern, String text, String content) {
        Matcher matcher = pattern.matcher(text);
        if (!matcher.find()) return text;
        StringBuilder out = new StringBuilder(text.length() + 16);
        int previous = 0;
        do {
            out.append(text, previous, matcher.start()).append(content);
            previous = matcher.end();
        } while (matcher.find());
        return out.append(text, previous, text.length()).toString();
    }
}
