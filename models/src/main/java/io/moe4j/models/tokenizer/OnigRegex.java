package io.moe4j.models.tokenizer;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites an Oniguruma regex (Ruby syntax, what {@code tokenizers} compiles tokenizer.json patterns with)
 * into a {@link Pattern} with the same meaning. Most syntax means the same in both; the differences that
 * matter for tokenizer patterns:
 * <ul>
 *   <li>{@code X{1,3}+} is possessive in Java but in Ruby syntax an interval repeated one or more times,
 *       so it becomes {@code (?:X{1,3})+} (tiktoken's newer patterns are written with {@code \p{N}{1,3}+});</li>
 *   <li>{@code \h} / {@code \H} are hexadecimal digits in Oniguruma, horizontal whitespace in Java;</li>
 *   <li>{@code ^} and {@code $} match at line starts and ends, only {@code \n} ends a line, and {@code .}
 *       matches anything but {@code \n}: compiled with {@code MULTILINE} and {@code UNIX_LINES};</li>
 *   <li>a {@code {} that starts no interval is a literal brace.</li>
 * </ul>
 * {@code \s}, {@code \w}, {@code \d} and {@code (?i)} are Unicode aware in both with
 * {@link Pattern#UNICODE_CHARACTER_CLASS}.
 */
final class OnigRegex {
    static final int FLAGS = Pattern.UNICODE_CHARACTER_CLASS | Pattern.MULTILINE | Pattern.UNIX_LINES;

    private static final Pattern INTERVAL = Pattern.compile("\\{(\\d*)(,?)(\\d*)}");

    private OnigRegex() {}

    static Pattern compile(String onig) {
        return Pattern.compile(toJava(onig), FLAGS);
    }

    static String toJava(String onig) {
        StringBuilder out = new StringBuilder(onig.length() + 16);
        Deque<Integer> groupStarts = new ArrayDeque<>();
        int atomStart = -1; // where in out the last complete atom begins, -1 if none
        int i = 0;
        while (i < onig.length()) {
            char c = onig.charAt(i);
            int before = out.length();
            switch (c) {
                case '\\' -> {
                    i = escape(onig, i, out, false);
                    atomStart = before;
                }
                case '[' -> {
                    i = characterClass(onig, i, out);
                    atomStart = before;
                }
                case '(' -> {
                    groupStarts.push(before);
                    out.append(c);
                    i++;
                    atomStart = -1;
                }
                case ')' -> {
                    out.append(c);
                    i++;
                    atomStart = groupStarts.isEmpty() ? -1 : groupStarts.pop();
                }
                case '|' -> {
                    out.append(c);
                    i++;
                    atomStart = -1;
                }
                case '{' -> {
                    Matcher interval = INTERVAL.matcher(onig).region(i, onig.length());
                    boolean valid = interval.lookingAt() && (!interval.group(1).isEmpty() || !interval.group(3).isEmpty());
                    if (!valid || atomStart < 0) {
                        out.append("\\{");
                        i++;
                        atomStart = before;
                        continue;
                    }
                    String quantifier = interval.group(1).isEmpty()
                            ? "{0," + interval.group(3) + "}" // Ruby's {,n}
                            : interval.group();
                    i = interval.end();
                    if (i < onig.length() && onig.charAt(i) == '+') {
                        String atom = out.substring(atomStart);
                        out.setLength(atomStart);
                        out.append("(?:").append(atom).append(quantifier).append(")+");
                        i++;
                    } else {
                        out.append(quantifier);
                    }
                }
                case '}' -> {
                    out.append("\\}");
                    i++;
                    atomStart = before;
                }
                case '*', '+', '?' -> {
                    out.append(c);
                    i++;
                }
                default -> {
                    int cp = onig.codePointAt(i);
                    out.appendCodePoint(cp);
                    i += Character.charCount(cp);
                    atomStart = before;
                }
            }
        }
        return out.toString();
    }

    /** Copies (or translates) the escape at {@code i}; returns the index after it. */
    private static int escape(String onig, int i, StringBuilder out, boolean inClass) {
        if (i + 1 >= onig.length()) {
            out.append('\\');
            return i + 1;
        }
        char next = onig.charAt(i + 1);
        if (next == 'h') {
            out.append(inClass ? "0-9a-fA-F" : "[0-9a-fA-F]");
            return i + 2;
        }
        if (next == 'H') {
            out.append(inClass ? "\\x00-/:-@G-`g-\\x{10FFFF}" : "[^0-9a-fA-F]");
            return i + 2;
        }
        int end = i + 2;
        if ((next == 'p' || next == 'P' || next == 'x') && end < onig.length() && onig.charAt(end) == '{') {
            int close = onig.indexOf('}', end);
            end = close < 0 ? onig.length() : close + 1;
            if (next != 'x' && end - i > 4 && onig.charAt(i + 3) == '^') { // Oniguruma's \p{^L} is \P{L}
                out.append('\\').append(next == 'p' ? 'P' : 'p').append('{').append(onig, i + 4, end);
                return end;
            }
        }
        out.append(onig, i, end);
        return end;
    }

    /** Copies the character class starting at {@code i} (nested classes included); returns the index after it. */
    private static int characterClass(String onig, int i, StringBuilder out) {
        int depth = 0;
        while (i < onig.length()) {
            char c = onig.charAt(i);
            if (c == '\\') {
                i = escape(onig, i, out, true);
                continue;
            }
            out.append(c);
            i++;
            if (c == '[') {
                depth++;
                if (i < onig.length() && onig.charAt(i) == '^') out.append(onig.charAt(i++));
                if (i < onig.length() && onig.charAt(i) == ']') { // a ']' right after '[' or '[^' is literal
                    out.append("\\]");
                    i++;
                }
            } else if (c == ']' && --depth == 0) {
                return i;
            }
        }
        return i;
    }
}
