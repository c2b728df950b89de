package io.moe4j.bench;

/**
 * The benchmark's pseudo-random values, defined so that the C twin ({@code native/src/main/c/moe4j_twin.c})
 * computes exactly the same numbers: element {@code i} (row-major index) of stream {@code s} under seed
 * {@code seed} is {@code scale · (u24 · 2⁻²³ − 1)}, where u24 is the top 24 bits of SplitMix64's finaliser applied
 * to {@code seed·0x9E3779B97F4A7C15 + s·0xBF58476D1CE4E5B9 + i} (wrapping 64-bit arithmetic), and the product is
 * rounded once to float32. BF16 tensors hold these float32 values rounded to nearest even.
 *
 * <p>Streams: expert e's w1 = 3e, w3 = 3e+1, w2 = 3e+2; the router = {@link #ROUTER}; the input x = {@link #INPUT}.
 */
public final class RandomWeights {
    public static final long ROUTER = 1_000_000;
    public static final long INPUT = 2_000_000;
    public static final float EXPERT_SCALE = 0.02f;
    public static final float ROUTER_SCALE = 0.05f;
    public static final float INPUT_SCALE = 1f;

    private RandomWeights() {}

    public static long w1(int expert) { return 3L * expert; }

    public static long w3(int expert) { return 3L * expert + 1; }

    public static long w2(int expert) { return 3L * expert + 2; }

    /** Element {@code index} of {@code stream}. */
    public static float value(long seed, long stream, long index, float scale) {
        long z = seed * 0x9E3779B97F4A7C15L + stream * 0xBF58476D1CE4E5B9L + index;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        int u24 = (int) (z >>> 40);
        return scale * (u24 * 0x1.0p-23f - 1f);
    }
}
