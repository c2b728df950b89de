package io.moe4j.bench.twin;

import io.moe4j.bench.Timing;
import io.moe4j.engine.moe.RoutingStats;

/**
 * What one run of the C twin reports for a row.
 *
 * @param timing      wall-clock ms of each measured forward call (warm-up calls excluded)
 * @param expertLoad  rows each expert received (the same in every call: the input does not change)
 * @param checksum    {@code Σ y} over the output of the last call, NaN when y held a NaN or an infinity
 * @param absChecksum {@code Σ |y|}, likewise
 */
public record TwinResult(Timing timing, long[] expertLoad, double checksum, double absChecksum) {
    /**
     * How far apart, relative to {@code Σ|y|}, the Java and C sums of y may be: 1e-5.
     *
     * <p>Why the sums can differ at all: the two programs run the same oneDNN primitives on the same column blocks
     * (so f32 products are bit-identical) and the same BF16 GEMV algorithm (bit-identical as well), but compute
     * exponentials with different libraries — HotSpot's vector math stubs and {@code Math.exp} against glibc's
     * libmvec and {@code exp} — in the router's softmax and in SiLU. Those differ in the last bit of a few elements,
     * and w2 spreads a hidden element's error over a whole output row: each y element then differs by a few float32
     * ulps at most, so {@code |ΔΣy| ≤ Σ|Δy|} stays below about {@code 1e-6 · Σ|y|} (measured: at most 2e-8 at the
     * test shapes and 5e-9 at Mixtral's dims, f32 and bf16). A real difference in the computation — another expert, a weight, a token or a gate
     * weight — moves the sums by orders of magnitude more (a gate weight is ~0.5 of a token's output).
     */
    public static final double RELATIVE_TOLERANCE = 1e-5;

    public TwinResult {
        expertLoad = expertLoad.clone();
    }

    @Override public long[] expertLoad() { return expertLoad.clone(); }

    @Override
    public String toString() {
        return "TwinResult[median " + timing.median() + " ms of " + timing.runs() + ", load " + java.util.Arrays.toString(expertLoad)
                + ", Σy " + checksum + ", Σ|y| " + absChecksum + "]";
    }

    /** Compares with the Java layer's call on the same row. */
    public TwinCheck check(RoutingStats javaStats, OutputSums javaSums) {
        return check(javaStats.expertLoads(), javaSums);
    }

    /** Compares with the Java layer's call on the same row, given its expert loads. */
    public TwinCheck check(long[] javaLoads, OutputSums javaSums) {
        double scale = javaSums.absSum();
        return new TwinCheck(javaLoads, expertLoad, relative(javaSums.sum(), checksum, scale),
                relative(javaSums.absSum(), absChecksum, scale));
    }

    private static double relative(double java, double c, double scale) {
        if (Double.isNaN(java) || Double.isNaN(c)) return Double.NaN;
        if (java == c) return 0;
        return Math.abs(java - c) / scale;
    }
}
