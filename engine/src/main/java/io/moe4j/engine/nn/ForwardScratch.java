package io.moe4j.engine.nn;

import io.moe4j.engine.tensor.RowViews;

import java.lang.foreign.Arena;

/**
 * The activations of one forward pass of one sequence, sized for batches of up to {@link #capacity} tokens and
 * reused for every call (prefill and each decoded token), so decoding allocates nothing.
 */
public final class ForwardScratch implements AutoCloseable {
    final int capacity;
    private final Arena arena = Arena.ofShared();
    final RowViews x;        // [T, D] the residual stream
    final RowViews normed;   // [T, D]
    final RowViews q;        // [T, H·hd]
    final RowViews k;        // [T, KV·hd]
    final RowViews v;        // [T, KV·hd]
    final RowViews qkv;      // [T, (H + 2·KV)·hd] fused projections (DBRX)
    final RowViews attended; // [T, H·hd]
    final RowViews mixed;    // [T, D] attention or MoE output before the residual add
    final RowViews logits;   // [T, V]
    final float[] scores;    // attention scores over the context

    public ForwardScratch(int capacity, int model, AttentionSpec attention, int vocab, int context) {
        this.capacity = capacity;
        x = RowViews.of(arena, capacity, model);
        normed = RowViews.of(arena, capacity, model);
        q = RowViews.of(arena, capacity, attention.qWidth());
        k = RowViews.of(arena, capacity, attention.kvWidth());
        v = RowViews.of(arena, capacity, attention.kvWidth());
        qkv = RowViews.of(arena, capacity, attention.qkvWidth());
        attended = RowViews.of(arena, capacity, attention.qWidth());
        mixed = RowViews.of(arena, capacity, model);
        logits = RowViews.of(arena, capacity, vocab);
        scores = new float[context];
    }

    public int capacity() { return capacity; }

    /** Row views of the logits of the last forward call. */
    public RowViews logits() { return logits; }

    @Override
    public void close() { arena.close(); }
}
