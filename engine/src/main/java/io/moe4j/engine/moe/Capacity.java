package io.moe4j.engine.moe;

/**
 * Admits token-choice assignments under an expert capacity, exactly as the contract orders it: rank by rank —
 * every token's first choice in token order, then every token's second choice, and so on. An assignment whose
 * expert is full is dropped (contributes 0; the residual path carries the token) and counted.
 */
final class Capacity {
    private Capacity() {}

    /** {@code C = ceil(c · k · T / E)}, or unbounded without a capacity factor. */
    static long of(MoeConfig config, int tokens) {
        if (!config.hasCapacity()) return Long.MAX_VALUE;
        return (long) Math.ceil(config.capacityFactor() * config.choicesPerToken() * tokens / config.numExperts());
    }

    static void admit(Choices choices, long capacity, long[] load, Assignments out, RoutingStats stats) {
        java.util.Arrays.fill(load, 0);
        out.reset(choices.tokens * choices.perToken);
        for (int r = 0; r < choices.perToken; r++) {
            for (int t = 0; t < choices.tokens; t++) {
                int e = choices.expert(t, r);
                if (e < 0) continue;
                if (load[e] < capacity) {
                    load[e]++;
                    out.add(t, e, choices.weight(t, r));
                } else {
                    stats.addDropped(1);
                }
            }
        }
        for (int e = 0; e < load.length; e++) stats.addLoad(e, load[e]);
    }
}
