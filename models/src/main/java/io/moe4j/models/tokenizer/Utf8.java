package io.moe4j.models.tokenizer;

/**
 * UTF-8 decoding with Rust's rules, which the {@code tokenizers} decoders use: {@link #decodeLossy} is
 * {@code String::from_utf8_lossy} (one U+FFFD per maximal invalid subsequence), {@link #decodeStrict} is
 * {@code String::from_utf8} (all or nothing).
 */
final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {}

    static String decodeLossy(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        decode(bytes, length, out);
        return out.toString();
    }

    /** The text of {@code bytes}, or {@code null} when they are not valid UTF-8. */
    static String decodeStrict(byte[] bytes, int length) {
        StringBuilder out = new StringBuilder(length);
        return decode(bytes, length, out) ? out.toString() : null;
    }

    /** Appends the text of {@code bytes[0, length)}; false when some bytes were replaced by U+FFFD. */
    private static boolean decode(byte[] bytes, int length, StringBuilder out) {
        boolean valid = true;
        int i = 0;
        while (i < length) {
            int lead = bytes[i] & 0xFF;
            if (lead < 0x80) {
                out.append((char) lead);
                i++;
                continue;
            }
            int width = width(lead);
            int consumed = 1;
            int codePoint = lead & (0x7F >> width);
            boolean complete = width > 0;
            for (int k = 1; k < width; k++) {
                if (i + k >= length || !continues(lead, k, bytes[i + k] & 0xFF)) {
                    complete = false;
                    break;
                }
                codePoint = (codePoint << 6) | (bytes[i + k] & 0x3F);
                consumed++;
            }
            if (complete) {
                out.appendCodePoint(codePoint);
            } else {
                out.append(REPLACEMENT);
                valid = false;
            }
            i += consumed;
        }
        return valid;
    }

    /** Bytes in the sequence a lead byte starts; 0 for bytes that cannot start one. */
    private static int width(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) return 2;
        if (lead >= 0xE0 && lead <= 0xEF) return 3;
        if (lead >= 0xF0 && lead <= 0xF4) return 4;
        return 0;
    }

    /** Whether {@code b} may be byte {@code index} (1-based after the lead) of a sequence led by {@code lead}. */
    private static boolean continues(int lead, int index, int b) {
        if (index == 1) {
            // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
            return switch (lead) {
                case 0xE0 -> b >= 0xA0 && b <= 0xBF;
                case 0xED -> b >= 0x80 && b <= 0x9F;
                case 0xF0 -> b >= 0x90 && b <= 0xBF;
                case 0xF4 -> b >= 0x80 && b <= 0x8F;
                default -> b >= 0x80 && b <= 0xBF;
            };
        }
        return b >= 0x80 && b <= 0xBF;
    }
}
