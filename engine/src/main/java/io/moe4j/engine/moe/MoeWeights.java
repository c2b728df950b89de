package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.Tensor;

import java.util.List;

/**
 * The tensors of one MoE layer (contract names in brackets). Absent optional tensors are {@code null} or empty
 * lists. Router tensors may be F32, F16 or BF16: the layer keeps float32 copies, since router math is float32.
 *
 * @param router       [router.weight] {@code [E, D]}, or {@code [G, D]} (the top gate) for hierarchical; null for
 *                     soft and for hash without router logits
 * @param routerBias   [router.bias] {@code [E]} (or {@code [G]})
 * @param noise        [router.noise.weight] {@code [E, D]} for noisy_topk
 * @param groupRouters [groups.{g}.router.weight] G × {@code [E/G, D]} for hierarchical
 * @param phi          [soft.phi] {@code [E·S, D]} for soft
 * @param hashTable    [hash.table] I32 {@code [V]} for hash
 * @param experts      [experts.{e}.*] E experts
 * @param shared       [shared.{s}.*] experts every token runs
 * @param sharedGate   [shared_gate.weight] {@code [1, D]}: scales the shared sum by a sigmoid (Qwen2-MoE)
 * @param cmrWeight    [cmr.weight] {@code [1, D]}: NLLB conditional routing between {@link #dense} and the MoE
 * @param cmrBias      [cmr.bias] {@code [1]}
 * @param dense        [dense.*] the dense FFN of conditional routing
 */
public record MoeWeights(Tensor router, Tensor routerBias, Tensor noise, List<Tensor> groupRouters, Tensor phi,
                         Tensor hashTable, List<Expert> experts, List<Expert> shared, Tensor sharedGate,
                         Tensor cmrWeight, Tensor cmrBias, Expert dense) {

    public MoeWeights {
        groupRouters = groupRouters == null ? List.of() : List.copyOf(groupRouters);
        experts = List.copyOf(experts);
        shared = shared == null ? List.of() : List.copyOf(shared);
    }

    /** Plain routed experts with a router and nothing around them (the Mixtral block). */
    public static MoeWeights of(Tensor router, List<Expert> experts) {
        return new MoeWeights(router, null, null, null, null, null, experts, null, null, null, null, null);
    }

    /** D, the model width. */
    public long modelSize() { return experts.getFirst().modelSize(); }
}
