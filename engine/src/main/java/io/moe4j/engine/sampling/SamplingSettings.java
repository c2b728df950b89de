package io.moe4j.engine.sampling;

/**
 * How a {@link Sampler} picks the next token from a row of logits.
 *
 * @param temperature divides the logits before the softmax; {@code 0} means greedy (argmax, the default), and then
 *                    {@code topK}, {@code topP} and {@code seed} are ignored. Must be finite and {@code >= 0}.
 * @param topK        keep only the {@code topK} largest logits ({@code 0} = off). Must be {@code >= 0}.
 * @param topP        nucleus sampling: keep the smallest set of most likely tokens whose probability adds up to at
 *                    least {@code topP} ({@code 1} = off). Must be in {@code (0, 1]}.
 * @param seed        seeds the random draws; the same seed and settings give the same tokens for the same logits.
 */
public record SamplingSettings(float temperature, int topK, float topP, long seed) {

    /** Greedy decoding: always the most likely token. */
    public static final SamplingSettings GREEDY = new SamplingSettings(0f, 0, 1f, 0L);

    public SamplingSettings {
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0 (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0f && topP <= 1f)) {
            throw new IllegalArgumentException("topP must be in (0, 1] (1 = off), got " + topP);
        }
    }

    /** Greedy decoding (the default). */
    public static SamplingSettings greedy() {
        return GREEDY;
    }

    /** Sampling at {@code temperature} with neither top-k nor top-p. */
    public static SamplingSettings temperature(float temperature, long seed) {
        return new SamplingSettings(temperature, 0, 1f, seed);
    }

    /** Whether this is greedy decoding ({@code temperature == 0}). */
    public boolean isGreedy() {
        return temperature == 0f;
    }

    public SamplingSettings withTemperature(float temperature) {
        return new SamplingSettings(temperature, topK, topP, seed);
    }

    public SamplingSettings withTopK(int topK) {
        return new SamplingSettings(temperature, topK, topP, seed);
    }

    public SamplingSettings withTopP(float topP) {
        return new SamplingSettings(temperature, topK, topP, seed);
    }

    public SamplingSettings withSeed(long seed) {
        return new SamplingSettings(temperature, topK, topP, seed);
    }
}
