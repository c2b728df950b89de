package io.moe4j.models.tokenizer;

import java.util.List;

/**
 * One step of turning tokens back into text (a tokenizer.json decoder): each step maps the list of token
 * strings to a new list, and the final list is concatenated.
 */
interface Decoder {
    List<String> decode(List<String> tokens);
}
