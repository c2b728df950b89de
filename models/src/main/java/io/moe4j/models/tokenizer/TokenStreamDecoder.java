package io.moe4j.models.tokenizer;

/**
 * Turns generated ids, one at a time, into text chunks whose concatenation (with {@link #finish()}) is
 * exactly {@code tokenizer.decode(allIds, skipSpecialTokens)}.
 *
 * <p>A character may be spread over several tokens (the UTF-8 bytes of an emoji over {@code <0xF0>},
 * {@code <0x9F>}, … or over byte-level tokens), and decoders treat the first token of a text specially (the
 * leading space SentencePiece strips). So each step decodes a short window, the tokens of the previous chunk
 * followed by the new ones, and returns what the new ones add to the previous chunk's text. Text is held
 * back while it may still change: while it ends in U+FFFD (an unfinished UTF-8 sequence), and while the
 * last token is a byte token ({@code <0xXX>}), because a run of byte tokens is decoded as a whole: a later
 * byte can turn the run's earlier text into U+FFFDs. ({@code tokenizers}' {@code DecodeStream} does not hold
 * those back and fails on such input.)
 *
 * <p>Not thread-safe: one instance per generated sequence.
 */
public final class TokenStreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    /** The previous chunk's tokens, then the tokens not returned yet. */
    private final IntList window = new IntList();
    /** How many tokens at the start of {@link #window} belong to the previous chunk. */
    private int contextLength;
    /** The text of those tokens when decoded at the start of a window. */
    private String contextText = "";

    /** Leaves special tokens out, as {@link Tokenizer#decode(int[])} does. */
    public TokenStreamDecoder(Tokenizer tokenizer) {
        this(tokenizer, true);
    }

    public TokenStreamDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds the next id; returns the text that is now certain, often {@code ""}. */
    public String step(int id) {
        window.add(id);
        String token = tokenText(id);
        // Ids that decode to nothing do not end a run of byte tokens; a byte token may continue one.
        if (token == null || (skipSpecialTokens && tokenizer.isSpecial(id)) || Decoders.byteValue(token) >= 0) return "";
        String text = tokenizer.decode(window.toArray(), skipSpecialTokens);
        if (text.length() <= contextText.length() || text.endsWith(String.valueOf(Utf8.REPLACEMENT))) return "";
        String chunk = newText(text, id);
        window.removeFirst(contextLength);
        contextLength = window.size();
        contextText = tokenizer.decode(window.toArray(), skipSpecialTokens);
        return chunk;
    }

    /** Returns the text still held back (an unfinished character shows as U+FFFD) and starts over. */
    public String finish() {
        String text = tokenizer.decode(window.toArray(), skipSpecialTokens);
        String rest = text.length() > contextText.length() ? newText(text, -1) : "";
        reset();
        return rest;
    }

    /** Forgets everything, for a new sequence. */
    public void reset() {
        window.removeFirst(window.size());
        contextLength = 0;
        contextText = "";
    }

    private String newText(String text, int id) {
        if (!text.startsWith(contextText)) {
            // Cannot happen with the supported decoders: each token's text depends only on its neighbours.
            throw new IllegalStateException("decoded text \"" + text + "\" no longer starts with \"" + contextText
                    + "\" after id " + id);
        }
        return text.substring(contextText.length());
    }

    /** The token's text, or null for an id no vocabulary has (decoding skips those). */
    private String tokenText(int id) {
        try {
            return tokenizer.tokenText(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
