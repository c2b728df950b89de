package io.moe4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * SentencePiece's whitespace convention: spaces become {@code '▁'} (U+2581), a {@code '▁'} is put in front of
 * the text, and decoding turns them back into spaces. As a pre-tokenizer it may also split before every
 * {@code '▁'}; as a decoder it drops the {@code '▁'} the pre-tokenizer put in front.
 *
 * @param replacement   the character that stands for a space
 * @param prependScheme when to put a replacement in front: {@code always}, {@code first} (only the piece that
 *                      starts the input, not text after a special token) or {@code never}
 * @param split         whether the pre-tokenizer splits the text before each replacement character
 */
record Metaspace(int replacement, Prepend prependScheme, boolean split) implements PreTokenizer {

    enum Prepend { ALWAYS, FIRST, NEVER }

    static Metaspace parse(JsonConfig config) {
        int replacement = config.codePoint("replacement");
        Prepend scheme = Prepend.ALWAYS;
        if (config.has("prepend_scheme")) {
            scheme = switch (config.string("prepend_scheme")) {
                case "always" -> Prepend.ALWAYS;
                case "first" -> Prepend.FIRST;
                case "never" -> Prepend.NEVER;
                default -> throw config.error("unknown prepend_scheme \"" + config.string("prepend_scheme") + "\"");
            };
        }
        // Files from before prepend_scheme existed say add_prefix_space instead.
        if (config.has("add_prefix_space") && !config.bool("add_prefix_space", true)) {
            if (scheme != Prepend.NEVER && config.has("prepend_scheme")) {
                throw config.error("add_prefix_space false does not match prepend_scheme " + scheme);
            }
            scheme = Prepend.NEVER;
        }
        return new Metaspace(replacement, scheme, config.bool("split", true));
    }

    @Override
    public void preTokenize(Piece piece, List<Piece> out) {
        String replacementText = Character.toString(replacement);
        String text = piece.text().replace(" ", replacementText);
        boolean prepend = switch (prependScheme) {
            case ALWAYS -> true;
            case FIRST -> piece.atStart();
            case NEVER -> false;
        };
        if (prepend && !text.startsWith(replacementText)) text = replacementText + text;
        if (!split) {
            out.add(new Piece(text, piece.atStart()));
            return;
        }
        Piece.addSplits(text, piece.atStart(),
                SplitBehavior.MERGED_WITH_NEXT.apply(Patterns.find(cp -> cp == replacement, text)), out);
    }

    /** The decoder: replacement characters become spaces, except in the first token unless prepending is off. */
    List<String> decode(List<String> tokens) {
        List<String> out = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            boolean dropReplacement = i == 0 && prependScheme != Prepend.NEVER;
            StringBuilder text = new StringBuilder(tokens.get(i).length());
            tokens.get(i).codePoints().forEach(cp -> {
                if (cp != replacement) text.appendCodePoint(cp);
                else if (!dropReplacement) text.append(' ');
            });
            out.add(text.toString());
        }
        return out;
    }
}
