package io.moe4j.models.hf;

import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.nn.Norm;

/**
 * What the engine needs from a checkpoint's {@code config.json}, whatever the architecture's key names.
 *
 * @param architecture  e.g. {@code MixtralForCausalLM}
 * @param slidingWindow 0 = none
 * @param clipQkv       0 = none (DBRX clamps its fused q/k/v projection)
 * @param eosIds        end-of-sequence ids (possibly none)
 * @param bosId         beginning-of-sequence id, or −1
 */
public record ModelConfig(String architecture, int hidden, int layers, int heads, int kvHeads, int headDim, int ffn,
                          int experts, int topK, Normalize moeNormalize, int vocab, double ropeTheta, Norm.Kind norm,
                          float normEps, int slidingWindow, float clipQkv, int maxPositions, int bosId, int[] eosIds,
                          boolean tiedEmbeddings) {

    /** Parameters of the whole model (embedding and head counted once each unless tied). */
    public long parameters() {
        long attention = (long) hidden * (heads + 2L * kvHeads) * headDim + (long) heads * headDim * hidden;
        long moe = (long) experts * 3 * hidden * ffn + (long) experts * hidden;
        long perLayer = attention + moe + 2L * hidden;
        return (long) layers * perLayer + (long) vocab * hidden * (tiedEmbeddings ? 1 : 2) + hidden;
    }

    /** Parameters one token uses: the k routed experts instead of all E. */
    public long activeParameters() {
        long inactive = (long) layers * (experts - topK) * 3L * hidden * ffn;
        return parameters() - inactive;
    }
}
