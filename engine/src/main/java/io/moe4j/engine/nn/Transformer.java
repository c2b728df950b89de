package io.moe4j.engine.nn;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * A decoder-only MoE transformer: token embedding, blocks, final norm, LM head. Immutable and shareable by
 * threads; the per-sequence state is the {@link KvCache} and the {@link ForwardScratch} a caller passes in.
 *
 * <pre>
 * x[t]   = embedding[ids[t]]                       [T, D]
 * x      = block_l(x) for l in 0 … L−1             [T, D]
 * logits = norm(x) · headᵀ                          [T, V]   (only the last row when asked)
 * </pre>
 */
public final class Transformer implements AutoCloseable {
    private final Backend backend;
    private final Tensor embedding;   // [V, D], any float or block-quantized dtype
    private final List<DecoderBlock> blocks;
    private final Norm finalNorm;
    private final Tensor head;        // [V, D]
    private final AttentionSpec attention;
    private final int model;
    private final int vocab;

    public Transformer(Backend backend, Tensor embedding, List<DecoderBlock> blocks, Norm finalNorm, Tensor head,
                       AttentionSpec attention) {
        this.backend = backend;
        this.embedding = embedding;
        this.blocks = List.copyOf(blocks);
        this.finalNorm = finalNorm;
        this.head = head;
        this.attention = attention;
        this.model = (int) embedding.dim(1);
        this.vocab = (int) head.dim(0);
    }

    public int layers() { return blocks.size(); }

    public int modelSize() { return model; }

    public int vocabularySize() { return vocab; }

    public AttentionSpec attention() { return attention; }

    public List<DecoderBlock> blocks() { return blocks; }

    public KvCache newCache(int context) {
        return new KvCache(blocks.size(), context, attention.kvHeads(), attention.headDim());
    }

    public ForwardScratch newScratch(int capacity, int context) {
        return new ForwardScratch(capacity, model, attention, vocab, context);
    }

    /**
     * Runs tokens {@code ids[0, T)} at positions {@code cache.length() …} and appends them to the cache.
     *
     * @param allLogits every position's logits, or only the last one's (row 0 of the result)
     * @return the logits, {@code [T, V]} or {@code [1, V]}, a view of the scratch valid until its next use
     */
    public Tensor forward(int[] ids, int tokens, KvCache cache, ForwardScratch s, boolean allLogits, RoutingStats stats) {
        if (tokens < 1 || tokens > s.capacity) {
            throw new IllegalArgumentException(tokens + " tokens for a scratch of " + s.capacity);
        }
        int start = cache.length();
        if (start + tokens > cache.context()) {
            throw new IllegalStateException("context full: " + start + " + " + tokens + " tokens exceed the "
                    + cache.context() + " positions of the KV cache");
        }
        Tensor x = s.x.rows(tokens);
        for (int t = 0; t < tokens; t++) embed(ids[t], x, t);
        // Indexed, not for-each: the list's iterator is a heap object per token.
        for (int l = 0; l < blocks.size(); l++) blocks.get(l).forward(backend, x, tokens, start, cache, s, stats);
        cache.advance(tokens);
        int first = allLogits ? 0 : tokens - 1;
        int rows = tokens - first;
        Tensor normed = s.normed.rows(rows);
        finalNorm.apply(backend, allLogits ? x : lastRow(x, tokens, s), normed);
        Tensor logits = s.logits.rows(rows);
        backend.matmul(normed, head, logits);
        return logits;
    }

    /** The last row of x, moved to row 0 of the scratch's mixed buffer (so no view is created per call). */
    private Tensor lastRow(Tensor x, int tokens, ForwardScratch s) {
        Tensor row = s.mixed.rows(1);
        MemorySegment.copy(x.segment(), 4L * (tokens - 1) * model, row.segment(), 0, 4L * model);
        return row;
    }

    private void embed(int id, Tensor x, int t) {
        if (id < 0 || id >= embedding.dim(0)) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + embedding.dim(0) + ")");
        }
        long bytes = embedding.dtype().bytesFor(model);
        MemorySegment src = embedding.segment();
        MemorySegment dst = x.segment();
        long to = 4L * t * model;
        switch (embedding.dtype()) {
            case F32 -> MemorySegment.copy(src, id * bytes, dst, to, bytes);
            // One row per token, widened by scalar code: the Vector API conversion is reached too rarely to be
            // compiled early, and until it is, its vectors are boxed on the heap at every token.
            case BF16 -> {
                for (int i = 0; i < model; i++) {
                    dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, to + 4L * i,
                            Float.intBitsToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, id * bytes + 2L * i) << 16));
                }
            }
            case F16 -> {
                for (int i = 0; i < model; i++) {
                    dst.set(ValueLayout.JAVA_FLOAT_UNALIGNED, to + 4L * i,
                            Float.float16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, id * bytes + 2L * i)));
                }
            }
            // GGUF files quantize the embedding like any other matrix; one row is whole blocks, dequantized exactly.
            case Q8_0, Q4_0, Q4_K, Q5_K, Q6_K ->
                    io.moe4j.engine.backend.cpu.quant.Dequantize.run(embedding.dtype(), src, id * bytes, dst, to, model);
            default -> throw new IllegalStateException("embedding dtype " + embedding.dtype());
        }
    }

    @Override
    public void close() {
        for (DecoderBlock b : blocks) b.close();
    }
}
