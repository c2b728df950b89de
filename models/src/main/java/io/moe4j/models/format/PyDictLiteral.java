package io.moe4j.models.format;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict parser for the tiny subset of Python literals an npy header uses:
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}.
 *
 * <p>Values are strings ({@code '…'} or {@code "…"}, no escapes), {@code True}/{@code False}, non-negative
 * integers and tuples of them ({@code ()}, {@code (3,)}, {@code (2, 3)}). As in Python, {@code (3)} is an
 * integer, not a tuple. Anything else is a {@link FormatException}: npy headers are machine-written, so
 * leniency would only hide corruption.
 */
final class PyDictLiteral {
    private final Path file;
    private final String text;
    private int pos;

    private PyDictLiteral(Path file, String text) {
        this.file = file;
        this.text = text;
    }

    /**
     * Parses {@code text}: one dict literal, then only whitespace. Keys are strings; values are
     * {@link String}, {@link Boolean}, {@link Long} or {@code List<Long>} (a tuple).
     */
    static Map<String, Object> parse(Path file, String text) {
        PyDictLiteral p = new PyDictLiteral(file, text);
        Map<String, Object> dict = p.dict();
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("unexpected text after the dict");
        return dict;
    }

    private Map<String, Object> dict() {
        expect('{');
        Map<String, Object> dict = new LinkedHashMap<>();
        while (true) {
            skipSpace();
            if (peek() == '}') { pos++; return Collections.unmodifiableMap(dict); }
            String key = string();
            skipSpace();
            expect(':');
            skipSpace();
            if (dict.put(key, value()) != null) throw error("duplicate key '" + key + "'");
            skipSpace();
            if (peek() == ',') pos++;
            else if (peek() != '}') throw error("expected ',' or '}'");
        }
    }

    private Object value() {
        char c = peek();
        if (c == '\'' || c == '"') return string();
        if (c == '(') return tuple();
        if (c >= '0' && c <= '9') return integer();
        if (text.startsWith("True", pos)) { pos += 4; return Boolean.TRUE; }
        if (text.startsWith("False", pos)) { pos += 5; return Boolean.FALSE; }
        throw error("expected a string, True, False, an integer or a tuple");
    }

    /** {@code ()}, {@code (a,)} or {@code (a, b, …)} with an optional trailing comma; {@code (a)} is just a. */
    private Object tuple() {
        expect('(');
        List<Long> items = new ArrayList<>();
        boolean sawComma = false;
        while (true) {
            skipSpace();
            if (peek() == ')') { pos++; break; }
            items.add(integer());
            skipSpace();
            if (peek() == ',') { pos++; sawComma = true; }
            else if (peek() != ')') throw error("expected ',' or ')' in tuple");
        }
        if (items.size() == 1 && !sawComma) return items.getFirst();
        return Collections.unmodifiableList(items);
    }

    private long integer() {
        int start = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos)) && text.charAt(pos) < 128) pos++;
        if (start == pos) throw error("expected an integer");
        try {
            return Long.parseLong(text, start, pos, 10);
        } catch (NumberFormatException e) {
            throw error("integer " + text.substring(start, pos) + " is out of range");
        }
    }

    private String string() {
        char quote = peek();
        if (quote != '\'' && quote != '"') throw error("expected a quoted string");
        int start = ++pos;
        while (pos < text.length() && text.charAt(pos) != quote) {
            if (text.charAt(pos) == '\\') throw error("escape sequences are not supported");
            pos++;
        }
        if (pos == text.length()) throw error("unterminated string");
        return text.substring(start, pos++);
    }

    private void expect(char c) {
        if (peek() != c) throw error("expected '" + c + "'");
        pos++;
    }

    /** The next character, or NUL at the end (never a valid token, so it always fails the checks above). */
    private char peek() { return pos < text.length() ? text.charAt(pos) : '\0'; }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private FormatException error(String what) {
        return new FormatException(file, "malformed npy header at character " + pos + ": " + what + " in "
                + abbreviate(text.strip()));
    }

    private static String abbreviate(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }
}
