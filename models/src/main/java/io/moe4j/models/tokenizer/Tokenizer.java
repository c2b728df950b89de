package io.moe4j.models.tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * Text to token ids and back, as a Hugging Face {@code tokenizer.json} defines it. The ids are the ones the
 * {@code tokenizers} package gives for the same file: the same added-token matching, normalizer,
 * pre-tokenizer, BPE merges, post-processor and decoder.
 *
 * <p>The defaults follow the {@code tokenizers} Python API: {@link #encode(String)} adds what the file's
 * post-processor adds (Llama's {@code <s>}; nothing for GPT-2 or DBRX), and {@link #decode(int[])} leaves
 * special tokens out. Instances are immutable and safe to share between threads.
 */
public interface Tokenizer {

    /** Reads a {@code tokenizer.json}; see {@link TokenizerJson} for the components it supports. */
    static Tokenizer load(Path tokenizerJson) throws IOException {
        return TokenizerJson.load(tokenizerJson);
    }

    /** {@code encode(text, true)}: special tokens added where the post-processor says so. */
    default int[] encode(String text) {
        return encode(text, true);
    }

    /**
     * The ids of {@code text}. Added tokens written in the text ({@code "<s>"}, {@code "<|im_end|>"}) are
     * matched first and become their ids; with {@code addSpecialTokens} the post-processor's template is
     * applied (for example a leading BOS).
     */
    int[] encode(String text, boolean addSpecialTokens);

    /** {@code decode(ids, true)}: special tokens left out. */
    default String decode(int[] ids) {
        return decode(ids, true);
    }

    /**
     * The text of {@code ids} through the file's decoder. Ids that are in no vocabulary are skipped, as the
     * {@code tokenizers} package does. Bytes that do not form UTF-8 become U+FFFD.
     */
    String decode(int[] ids, boolean skipSpecialTokens);

    /**
     * The token as the vocabulary writes it ({@code "▁Hello"}, {@code "Ġworld"}, {@code "<0xE2>"},
     * {@code "<s>"}): for logging and stop-token checks, not for display (use {@link TokenStreamDecoder}).
     *
     * @throws IllegalArgumentException when no token has this id
     */
    String tokenText(int id);

    /** The id of a token written as the vocabulary writes it (see {@link #tokenText}), if there is one. */
    OptionalInt tokenId(String token);

    /** Whether {@code id} is an added token marked {@code special} (BOS, EOS, chat markers, …). */
    boolean isSpecial(int id);

    /**
     * The number of ids: the model vocabulary plus the added tokens that are not in it, as
     * {@code get_vocab_size(with_added_tokens=True)} counts them.
     */
    int vocabularySize();
}
