package io.moe4j.engine.nn;

/**
 * Attention hyper-parameters.
 *
 * @param heads         query heads H
 * @param kvHeads       key/value heads (GQA: query head h reads KV head h / (H / kvHeads))
 * @param headDim       size of one head
 * @param ropeTheta     rotary base (rotate-half convention)
 * @param slidingWindow attend only to the last this many positions; 0 = unlimited
 * @param clipQkv       clamp the fused q/k/v projection to ±this before the split (DBRX); 0 = off
 */
public record AttentionSpec(int heads, int kvHeads, int headDim, double ropeTheta, int slidingWindow, float clipQkv) {
    public AttentionSpec {
        if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention heads " + heads + " must be a positive multiple of KV heads " + kvHeads);
        }
        if (headDim < 2 || headDim % 2 != 0) throw new IllegalArgumentException("head dim must be even, got " + headDim);
        if (!(ropeTheta > 0)) throw new IllegalArgumentException("rope theta must be positive, got " + ropeTheta);
        if (slidingWindow < 0) throw new IllegalArgumentException("sliding window must be ≥ 0, got " + slidingWindow);
        if (clipQkv < 0) throw new IllegalArgumentException("clip_qkv must be ≥ 0, got " + clipQkv);
    }

    public int qWidth() { return heads * headDim; }

    public int kvWidth() { return kvHeads * headDim; }

    /** Width of the fused q|k|v row. */
    public int qkvWidth() { return qWidth() + 2 * kvWidth(); }
}
