package io.moe4j.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level scheme: text is turned into UTF-8 bytes and every byte into a printable character
 * ({@code ' '} becomes {@code 'Ġ'}, {@code '\n'} becomes {@code 'Ċ'}), so a vocabulary of 256 base symbols
 * covers any text. Used as pre-tokenizer (optionally with GPT-2's split regex), normalizer and decoder.
 */
final class ByteLevel {
    /** GPT-2's split regex, built into the ByteLevel pre-tokenizer ({@code use_regex}). */
    static final Pattern GPT2_SPLIT = OnigRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character; -1 for characters that stand for no byte. */
    private static final short[] CHAR_TO_BYTE = new short[512];

    static {
        // Printable Latin-1 bytes stand for themselves; the others are shifted to 256 and up, in order.
        java.util.Arrays.fill(CHAR_TO_BYTE, (short) -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + shifted++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (short) b;
        }
    }

    private ByteLevel() {}

    /** The byte-level form of {@code text}: one character per UTF-8 byte. */
    static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * The decoder: all tokens' bytes joined and read as UTF-8 (invalid bytes become U+FFFD). A token with a
     * character that stands for no byte (an added token like {@code "<|im_start|>"} is fine, its characters
     * are printable ASCII) contributes its own UTF-8 bytes instead.
     */
    static List<String> decode(List<String> tokens) {
        ByteArray bytes = new ByteArray();
        for (String token : tokens) {
            if (!appendBytes(token, bytes)) bytes.append(token.getBytes(StandardCharsets.UTF_8));
        }
        return List.of(Utf8.decodeLossy(bytes.array(), bytes.size()));
    }

    /** Appends the bytes {@code token} stands for; false (and nothing appended) if some character stands for none. */
    private static boolean appendBytes(String token, ByteArray bytes) {
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) return false;
        }
        for (int i = 0; i < token.length(); i++) bytes.append((byte) CHAR_TO_BYTE[token.charAt(i)]);
        return true;
    }

    /** A growable byte array. */
    static final class ByteArray {
        private byte[] data = new byte[64];
        private int size;

        void append(byte b) {
            if (size == data.length) data = java.util.Arrays.copyOf(data, size * 2);
            data[size++] = b;
        }

        void append(byte[] more) {
            for (byte b : more) append(b);
        }

        byte[] array() { return data; }

        int size() { return size; }

        void clear() { size = 0; }
    }
}
