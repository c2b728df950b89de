package io.moe4j.engine.moe;

/**
 * The settings of one MoE layer, as the contract ({@code moe-semantics.md}) names them.
 *
 * @param router         {@code moe.router}
 * @param numExperts     E, {@code moe.num_experts}
 * @param topK           k, {@code moe.top_k}: experts per token (per group for {@code hierarchical}); for
 *                       {@code dense} it is E, for {@code hash} 1
 * @param activation     {@code moe.activation}
 * @param normalize      {@code moe.normalize} of the top-k weights
 * @param capacityFactor {@code moe.capacity_factor}, or {@code NaN} when absent (dropless; for
 *                       {@code expert_choice} absent means k)
 * @param groups         G, {@code moe.groups} ({@code hierarchical}); 1 otherwise
 * @param groupTopK      {@code moe.group_top_k} ({@code hierarchical}); 1 otherwise
 * @param slots          S, {@code moe.slots} per expert ({@code soft}); 0 otherwise
 * @param secondExpert   {@code moe.second_expert} ({@code switch} with k = 2)
 * @param noise          {@code moe.noise} ({@code noisy_topk})
 * @param seed           {@code moe.seed} of the layer's counter-based random generator
 */
public record MoeConfig(RouterKind router, int numExperts, int topK, Activation activation, Normalize normalize,
                        double capacityFactor, int groups, int groupTopK, int slots, SecondExpert secondExpert,
                        boolean noise, long seed) {

    public MoeConfig {
        if (router == null || activation == null || normalize == null || secondExpert == null) {
            throw new IllegalArgumentException("MoE settings must not be null");
        }
        if (numExperts < 1) throw new IllegalArgumentException("moe.num_experts must be at least 1, got " + numExperts);
        if (topK < 1) throw new IllegalArgumentException("moe.top_k must be at least 1, got " + topK);
        if (groups < 1) throw new IllegalArgumentException("moe.groups must be at least 1, got " + groups);
        if (numExperts % groups != 0) {
            throw new IllegalArgumentException("moe.num_experts = " + numExperts + " is not divisible by moe.groups = " + groups);
        }
        if (groupTopK < 1 || groupTopK > groups) {
            throw new IllegalArgumentException("moe.group_top_k = " + groupTopK + " must be in [1, moe.groups = " + groups + "]");
        }
        int pool = router == RouterKind.HIERARCHICAL ? numExperts / groups : numExperts;
        if (router != RouterKind.EXPERT_CHOICE && router != RouterKind.SOFT && topK > pool) {
            throw new IllegalArgumentException("moe.top_k = " + topK + " exceeds the " + pool + " experts it chooses from");
        }
        if (!Double.isNaN(capacityFactor) && !(capacityFactor > 0 && Double.isFinite(capacityFactor))) {
            throw new IllegalArgumentException("moe.capacity_factor must be a positive number, got " + capacityFactor);
        }
        if (router == RouterKind.SOFT && slots < 1) {
            throw new IllegalArgumentException("moe.slots must be at least 1 for the soft router, got " + slots);
        }
        if (router == RouterKind.HASH && topK != 1) throw new IllegalArgumentException("the hash router has k = 1, got " + topK);
        if (router == RouterKind.DENSE && topK != numExperts) {
            throw new IllegalArgumentException("the dense router has k = E = " + numExperts + ", got " + topK);
        }
    }

    /** Whether {@code moe.capacity_factor} was given. */
    public boolean hasCapacity() { return !Double.isNaN(capacityFactor); }

    /** Experts each token is routed to: {@code group_top_k · top_k} for hierarchical, else k. */
    public int choicesPerToken() {
        return router == RouterKind.HIERARCHICAL ? groupTopK * topK : topK;
    }

    /** Experts per group (E/G). */
    public int expertsPerGroup() { return numExperts / groups; }
}
