package io.moe4j.models.tokenizer;

import java.util.List;

/**
 * A stretch of (normalized) input text that the model will tokenize on its own: what {@code tokenizers}
 * calls a split of a {@code PreTokenizedString}.
 *
 * @param text    the text, never empty
 * @param atStart whether it begins where the input begins (Metaspace's {@code prepend_scheme: first}
 *                prepends only there)
 */
record Piece(String text, boolean atStart) {

    /** Adds the non-empty {@code ranges} of {@code text} to {@code out}; only one starting at 0 keeps {@code atStart}. */
    static void addSplits(String text, boolean atStart, List<SplitBehavior.Range> ranges, List<Piece> out) {
        for (SplitBehavior.Range range : ranges) {
            if (range.end() > range.start()) {
                out.add(new Piece(text.substring(range.start(), range.end()), atStart && range.start() == 0));
            }
        }
    }
}
