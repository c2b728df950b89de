package io.moe4j.engine.nn;

import io.moe4j.engine.tensor.Tensor;

/**
 * The projections of one attention layer, Hugging Face layout {@code [out, in]}: either separate q/k/v
 * (Mixtral) or one fused {@code qkv} (DBRX's {@code Wqkv}, rows [q | k | v]).
 *
 * @param q   {@code [heads·headDim, D]} or null when fused
 * @param k   {@code [kvHeads·headDim, D]} or null when fused
 * @param v   {@code [kvHeads·headDim, D]} or null when fused
 * @param qkv {@code [(heads + 2·kvHeads)·headDim, D]} or null
 * @param o   {@code [D, heads·headDim]}
 */
public record AttentionWeights(Tensor q, Tensor k, Tensor v, Tensor qkv, Tensor o) {
    public boolean fused() { return qkv != null; }
}
