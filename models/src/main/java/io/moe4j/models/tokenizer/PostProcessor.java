package io.moe4j.models.tokenizer;

/** Adds special tokens around the ids of an encoded text (a tokenizer.json post_processor). */
interface PostProcessor {
    /** The final ids; without {@code addSpecialTokens} the ids as they are. */
    int[] process(int[] ids, boolean addSpecialTokens);
}
