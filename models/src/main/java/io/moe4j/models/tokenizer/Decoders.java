package io.moe4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The decoders moe4j reads from a tokenizer.json. */
final class Decoders {
    static final String SUPPORTED = "Sequence, ByteLevel, ByteFallback, Metaspace, Replace, Fuse, Strip, BPEDecoder";

    private Decoders() {}

    static Decoder parse(JsonConfig config) {
        String type = config.type();
        return switch (type) {
            case "Sequence" -> sequence(config.objects("decoders").stream().map(Decoders::parse).toList());
            case "ByteLevel" -> ByteLevel::decode;
            case "ByteFallback" -> Decoders::byteFallback;
            case "Metaspace" -> Metaspace.parse(config)::decode;
            case "Replace" -> replace(Patterns.parse(config, "pattern"), config.string("content"));
            case "Fuse" -> tokens -> List.of(String.join("", tokens));
            case "Strip" -> strip(config.codePoint("content"), config.integer("start", 0), config.integer("stop", 0));
            case "BPEDecoder" -> bpeSuffix(config.has("suffix") ? config.string("suffix") : "</w>");
            default -> throw config.unsupportedType(type, SUPPORTED);
        };
    }

    static Decoder sequence(List<Decoder> steps) {
        return tokens -> {
            for (Decoder step : steps) tokens = step.decode(tokens);
            return tokens;
        };
    }

    /**
     * Byte tokens ({@code "<0xE2>"}) become text: each run of them is read as UTF-8, and if the run is not
     * valid UTF-8 every byte of it becomes U+FFFD. Other tokens pass unchanged.
     */
    static List<String> byteFallback(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        ByteLevel.ByteArray run = new ByteLevel.ByteArray();
        for (String token : tokens) {
            int b = byteValue(token);
            if (b >= 0) {
                run.append((byte) b);
                continue;
            }
            flushBytes(run, out);
            out.add(token);
        }
        flushBytes(run, out);
        return out;
    }

    /** The byte a {@code "<0xXX>"} token stands for, or -1 for any other token. */
    static int byteValue(String token) {
        if (token.length() != 6 || !token.startsWith("<0x") || token.charAt(5) != '>') return -1;
        try {
            int value = Integer.parseInt(token, 3, 5, 16);
            return value >= 0 && value <= 255 ? value : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void flushBytes(ByteLevel.ByteArray run, List<String> out) {
        if (run.size() == 0) return;
        String text = Utf8.decodeStrict(run.array(), run.size());
        if (text != null) {
            out.add(text);
        } else {
            for (int i = 0; i < run.size(); i++) out.add(String.valueOf(Utf8.REPLACEMENT));
        }
        run.clear();
    }

    static Decoder replace(Pattern pattern, String content) {
        return tokens -> tokens.stream().map(token -> Patterns.replace(pattern, token, content)).toList();
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters from each token. */
    static Decoder strip(int content, int start, int stop) {
        return tokens -> tokens.stream().map(token -> {
            int[] cps = token.codePoints().toArray();
            int from = 0;
            while (from < Math.min(start, cps.length) && cps[from] == content) from++;
            int to = cps.length;
            while (cps.length - to < stop && to > 0 && cps[to - 1] == content) to--;
            return from >= to ? "" : new String(cps, from, to - from);
        }).toList();
    }

    /** The original BPE decoder: the end-of-word suffix becomes a space, or nothing in the last token. */
    static Decoder bpeSuffix(String suffix) {
        return tokens -> {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                out.add(tokens.get(i).replace(suffix, i == tokens.size() - 1 ? "" : " "));
            }
            return out;
        };
    }
}
