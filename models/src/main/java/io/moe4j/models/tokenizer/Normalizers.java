package io.moe4j.models.tokenizer;

import java.text.Normalizer.Form;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The normalizers moe4j reads from a tokenizer.json.
 *
 * <p>NFC, NFD, NFKC and NFKD use the JDK's Unicode tables, which are newer than those of {@code tokenizers}:
 * characters assigned since about Unicode 14 (Latin Extended-F, for one) may normalize differently. Llama,
 * Mistral, Mixtral, GPT-2 and DBRX files use no Unicode normalizer.
 */
final class Normalizers {
    static final String SUPPORTED = "Sequence, Prepend, Replace, Strip, Lowercase, NFC, NFD, NFKC, NFKD, ByteLevel";

    private Normalizers() {}

    static Normalizer parse(JsonConfig config) {
        String type = config.type();
        return switch (type) {
            case "Sequence" -> sequence(config.objects("normalizers").stream().map(Normalizers::parse).toList());
            case "Prepend" -> prepend(config.string("prepend"));
            case "Replace" -> replace(Patterns.parse(config, "pattern"), config.string("content"));
            case "Strip" -> strip(config.bool("strip_left", false), config.bool("strip_right", false));
            case "Lowercase" -> Normalizers::lowercase;
            case "NFC" -> text -> java.text.Normalizer.normalize(text, Form.NFC);
            case "NFD" -> text -> java.text.Normalizer.normalize(text, Form.NFD);
            case "NFKC" -> text -> java.text.Normalizer.normalize(text, Form.NFKC);
            case "NFKD" -> text -> java.text.Normalizer.normalize(text, Form.NFKD);
            case "ByteLevel" -> ByteLevel::encode;
            default -> throw config.unsupportedType(type, SUPPORTED);
        };
    }

    static Normalizer sequence(List<Normalizer> steps) {
        return text -> {
            for (Normalizer step : steps) text = step.normalize(text);
            return text;
        };
    }

    /** Puts {@code prefix} in front of non-empty text (Llama 2 uses {@code "▁"}). */
    static Normalizer prepend(String prefix) {
        return text -> text.isEmpty() ? text : prefix + text;
    }

    static Normalizer replace(Pattern pattern, String content) {
        return text -> Patterns.replace(pattern, text, content);
    }

    /** Removes leading and/or trailing whitespace. */
    static Normalizer strip(boolean left, boolean right) {
        return text -> {
            int start = 0;
            int end = text.length();
            while (left && start < end && CharClasses.isWhiteSpace(text.codePointAt(start))) {
                start += Character.charCount(text.codePointAt(start));
            }
            while (right && end > start && CharClasses.isWhiteSpace(text.codePointBefore(end))) {
                end -= Character.charCount(text.codePointBefore(end));
            }
            return text.substring(start, end);
        };
    }

    /**
     * Lowercases each character on its own, as Rust's {@code char::to_lowercase} does: no context-dependent
     * rules (a final capital sigma becomes σ, not ς), but one character may become several (İ becomes i̇).
     */
    static String lowercase(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp < 0x80) out.append((char) Character.toLowerCase(cp));
            else out.append(Character.toString(cp).toLowerCase(Locale.ROOT));
        });
        return out.toString();
    }
}
