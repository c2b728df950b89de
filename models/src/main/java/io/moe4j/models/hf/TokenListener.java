package io.moe4j.models.hf;

/** Receives each generated token as soon as it is chosen (streaming). */
@FunctionalInterface
public interface TokenListener {
    void onToken(int id);
}
