package io.moe4j.bench;

/**
 * End-to-end numbers on a real checkpoint, as llama-bench's pp/tg: prefill of {@code promptTokens} tokens and
 * decode of {@code decodeTokens} tokens, each timed over repeated runs; and the memory they took.
 */
public record ModelResult(String model, String dtype, int promptTokens, Timing prefill, int decodeTokens, Timing decode,
                          ModelMemory memory) {
    public double prefillTokensPerS() { return promptTokens / (prefill.median() / 1e3); }

    public double decodeTokensPerS() { return decodeTokens / (decode.median() / 1e3); }
}
