package io.moe4j.bench.report;

import io.moe4j.bench.RoutingMap;

/**
 * A routing map with runs of consecutive tokens merged into bins, each holding the mean gate weight per expert,
 * so that a batch of thousands of tokens still fits a picture with rows tall enough to see.
 *
 * @param binSize tokens per bin (1 when the batch fits unbinned); the last bin may hold fewer
 * @param means   bin-major {@code bins × experts} mean gate weights
 */
record BinnedRouting(int tokens, int experts, int binSize, int bins, float[] means) {

    /** Bins {@code map} into at most {@code maxRows} rows of equal token count (except the last). */
    static BinnedRouting of(RoutingMap map, int maxRows) {
        if (maxRows < 1) throw new IllegalArgumentException("maxRows must be positive, got " + maxRows);
        int tokens = map.tokens(), experts = map.experts();
        int binSize = Math.max(1, (tokens + maxRows - 1) / maxRows);
        int bins = (tokens + binSize - 1) / binSize;
        float[] means = new float[bins * experts];
        for (int bin = 0; bin < bins; bin++) {
            int start = bin * binSize, end = Math.min(tokens, start + binSize);
            for (int e = 0; e < experts; e++) {
                double sum = 0;
                for (int t = start; t < end; t++) sum += map.weight(t, e);
                means[bin * experts + e] = (float) (sum / (end - start));
            }
        }
        return new BinnedRouting(tokens, experts, binSize, bins, means);
    }

    float mean(int bin, int expert) {
        return means[bin * experts + expert];
    }

    int binStart(int bin) {
        return bin * binSize;
    }

    int binEnd(int bin) {
        return Math.min(tokens, binStart(bin) + binSize);
    }

    float maxMean() {
        float max = 0;
        for (float m : means) max = Math.max(max, m);
        return max;
    }
}
