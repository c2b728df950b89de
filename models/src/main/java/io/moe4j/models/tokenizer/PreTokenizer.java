package io.moe4j.models.tokenizer;

import java.util.List;

/** Splits normalized text into the pieces the model tokenizes one at a time (a tokenizer.json pre_tokenizer). */
interface PreTokenizer {
    /** Adds the pieces {@code piece} becomes, none of them empty, to {@code out}. */
    void preTokenize(Piece piece, List<Piece> out);
}
