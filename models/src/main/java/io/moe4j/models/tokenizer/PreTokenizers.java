package io.moe4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The pre-tokenizers moe4j reads from a tokenizer.json. */
final class PreTokenizers {
    static final String SUPPORTED = "Sequence, Split, ByteLevel, Metaspace, Digits";

    private PreTokenizers() {}

    static PreTokenizer parse(JsonConfig config) {
        String type = config.type();
        return switch (type) {
            case "Sequence" -> sequence(config.objects("pretokenizers").stream().map(PreTokenizers::parse).toList());
            case "Split" -> split(Patterns.parse(config, "pattern"), SplitBehavior.parse(config, "behavior"),
                    config.bool("invert", false));
            case "ByteLevel" -> byteLevel(config.bool("add_prefix_space", true), config.bool("use_regex", true));
            case "Metaspace" -> Metaspace.parse(config);
            case "Digits" -> digits(config.bool("individual_digits", false));
            default -> throw config.unsupportedType(type, SUPPORTED);
        };
    }

    /** Each step splits every piece the previous step produced. */
    static PreTokenizer sequence(List<PreTokenizer> steps) {
        return (piece, out) -> {
            List<Piece> pieces = List.of(piece);
            for (PreTokenizer step : steps) {
                List<Piece> next = new ArrayList<>(pieces.size() * 2);
                for (Piece p : pieces) step.preTokenize(p, next);
                pieces = next;
            }
            out.addAll(pieces);
        };
    }

    /** Splits around the matches of {@code pattern} (or, inverted, around what it does not match). */
    static PreTokenizer split(Pattern pattern, SplitBehavior behavior, boolean invert) {
        return (piece, out) -> {
            List<SplitBehavior.Range> ranges = Patterns.find(pattern, piece.text());
            if (invert) ranges = ranges.stream().map(r -> new SplitBehavior.Range(r.start(), r.end(), !r.match())).toList();
            Piece.addSplits(piece.text(), piece.atStart(), behavior.apply(ranges), out);
        };
    }

    /**
     * GPT-2's pre-tokenizer: optionally a space in front, optionally GPT-2's split regex, then every piece
     * mapped to its byte-level characters.
     */
    static PreTokenizer byteLevel(boolean addPrefixSpace, boolean useRegex) {
        return (piece, out) -> {
            String text = piece.text();
            if (addPrefixSpace && !text.startsWith(" ")) text = " " + text;
            List<Piece> parts = new ArrayList<>();
            if (useRegex) {
                Piece.addSplits(text, piece.atStart(), Patterns.find(ByteLevel.GPT2_SPLIT, text), parts);
            } else {
                parts.add(new Piece(text, piece.atStart()));
            }
            for (Piece part : parts) out.add(new Piece(ByteLevel.encode(part.text()), part.atStart()));
        };
    }

    /** Separates numbers from the rest: every digit alone, or runs of digits. */
    static PreTokenizer digits(boolean individually) {
        SplitBehavior behavior = individually ? SplitBehavior.ISOLATED : SplitBehavior.CONTIGUOUS;
        return (piece, out) -> Piece.addSplits(piece.text(), piece.atStart(),
                behavior.apply(Patterns.find(CharClasses::isNumeric, piece.text())), out);
    }
}
