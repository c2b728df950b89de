package io.moe4j.models.tokenizer;

/** Rewrites text before it is split and tokenized (a tokenizer.json normalizer). */
interface Normalizer {
    String normalize(String text);
}
