package io.moe4j.engine.moe;

/**
 * The layer's random numbers: a pure function of (seed, call, token, expert, stream), so a run gives the same
 * numbers whatever the thread count or the order in which tokens are processed. Each key is folded in with the
 * SplitMix64 finaliser (a bijective 64-bit mixer), which makes neighbouring keys independent-looking.
 *
 * <p>Streams: {@link #NOISE} draws the ε of {@code noisy_topk} (one normal per token and expert);
 * {@link #SECOND_EXPERT} draws GShard's u (one uniform per token, expert argument 0).
 */
public final class CounterRng {
    public static final int NOISE = 1;
    public static final int SECOND_EXPERT = 2;

    private CounterRng() {}

    /** A uniform double in [0, 1) with 53 random bits. */
    public static double uniform(long seed, long call, long token, long expert, int stream) {
        return (bits(seed, call, token, expert, stream) >>> 11) * 0x1.0p-53;
    }

    /** A standard normal by Box–Muller over two uniforms of the key (sub-streams 2·stream and 2·stream + 1). */
    public static double normal(long seed, long call, long token, long expert, int stream) {
        double u1 = 1.0 - uniform(seed, call, token, expert, 2 * stream); // (0, 1]: log is finite
        double u2 = uniform(seed, call, token, expert, 2 * stream + 1);
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    static long bits(long seed, long call, long token, long expert, int stream) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        h = mix(h ^ call);
        h = mix(h ^ token);
        h = mix(h ^ expert);
        return mix(h ^ stream);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
