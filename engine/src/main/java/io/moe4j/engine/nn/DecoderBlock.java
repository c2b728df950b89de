package io.moe4j.engine.nn;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.tensor.Tensor;

/**
 * One pre-norm decoder block: {@code x += attention(norm1(x)); x += moe(norm2(x))}.
 */
public final class DecoderBlock implements AutoCloseable {
    private final Norm attentionNorm;
    private final Attention attention;
    private final Norm moeNorm;
    private final MoeLayer moe;

    public DecoderBlock(Norm attentionNorm, Attention attention, Norm moeNorm, MoeLayer moe) {
        this.attentionNorm = attentionNorm;
        this.attention = attention;
        this.moeNorm = moeNorm;
        this.moe = moe;
    }

    public MoeLayer moe() { return moe; }

    /** Updates the residual stream {@code x[0, T)} in place. */
    void forward(Backend backend, Tensor x, int tokens, int start, KvCache cache, ForwardScratch s, RoutingStats stats) {
        Tensor normed = s.normed.rows(tokens);
        Tensor mixed = s.mixed.rows(tokens);
        attentionNorm.apply(backend, x, normed);
        attention.forward(backend, normed, tokens, start, cache, s, mixed);
        backend.add(x, mixed, x);
        moeNorm.apply(backend, x, normed);
        moe.forward(normed, null, mixed, stats);
        backend.add(x, mixed, x);
    }

    @Override
    public void close() { moe.close(); }
}
