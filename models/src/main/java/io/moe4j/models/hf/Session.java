package io.moe4j.models.hf;

import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.nn.ForwardScratch;
import io.moe4j.engine.nn.KvCache;
import io.moe4j.engine.nn.Transformer;
import io.moe4j.engine.sampling.Sampler;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * One conversation: its KV cache, its activations and its position. Not thread-safe (one conversation is one
 * sequence of calls); open one per concurrent conversation. Prompts are prefilled in batched chunks (grouped
 * expert GEMMs across the chunk's tokens), then tokens are decoded one at a time.
 */
public final class Session implements AutoCloseable {
    /** Tokens per prefill pass: bounds the activation scratch ([chunk, vocab] logits among them). */
    static final int PREFILL_CHUNK = 128;

    private final Transformer transformer;
    private final KvCache cache;
    private final ForwardScratch scratch;
    private final RoutingStats stats;
    private final int[] one = new int[1];
    private final int[] chunk;

    Session(Model model, int context) {
        this.transformer = model.transformer();
        int capacity = Math.min(context, PREFILL_CHUNK);
        this.cache = transformer.newCache(context);
        this.scratch = transformer.newScratch(capacity, context);
        this.stats = new RoutingStats(model.config().experts());
        this.chunk = new int[capacity];
    }

    /** Tokens processed so far (the position of the next one). */
    public int position() { return cache.length(); }

    public int context() { return cache.context(); }

    /**
     * Runs {@code ids} after what the session has seen and returns the logits of the last one ({@code [1, V]}, a
     * view valid until the next call). When {@code allLogits} is given ({@code [ids.length, V]}), every position's
     * logits are copied into it.
     */
    public Tensor prefill(int[] ids, Tensor allLogits) {
        if (ids.length == 0) throw new IllegalArgumentException("no tokens to run");
        if (allLogits != null && (allLogits.rank() != 2 || allLogits.dim(0) != ids.length
                || allLogits.dim(1) != transformer.vocabularySize() || !allLogits.isContiguous())) {
            throw new IllegalArgumentException("logits must be [" + ids.length + ", " + transformer.vocabularySize() + "], got " + allLogits);
        }
        Tensor last = null;
        for (int from = 0; from < ids.length; from += chunk.length) {
            int n = Math.min(chunk.length, ids.length - from);
            System.arraycopy(ids, from, chunk, 0, n);
            Tensor logits = transformer.forward(chunk, n, cache, scratch, allLogits != null, stats);
            if (allLogits != null) {
                long rowBytes = 4L * transformer.vocabularySize();
                MemorySegment.copy(logits.segment(), 0, allLogits.segment(), from * rowBytes, n * rowBytes);
                last = logits.slice(0, n - 1, n);
            } else {
                last = logits;
            }
        }
        return last;
    }

    /** Runs one token and returns its logits ({@code [1, V]} view); allocates nothing once warm. */
    public Tensor next(int id) {
        one[0] = id;
        return transformer.forward(one, 1, cache, scratch, false, stats);
    }

    /**
     * Prefills {@code prompt}, then decodes up to {@code maxTokens} tokens chosen by {@code sampler}, stopping after
     * a token in {@code stopIds}. Each token goes to {@code listener} (may be null) as soon as it is chosen.
     *
     * @return the new tokens (the stop token included when one ended the generation)
     */
    public int[] generate(int[] prompt, int maxTokens, Sampler sampler, int[] stopIds, TokenListener listener) {
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be ≥ 0, got " + maxTokens);
        if (position() + prompt.length + Math.max(0, maxTokens - 1) > context()) {
            throw new IllegalArgumentException("prompt (" + prompt.length + " tokens) + " + maxTokens
                    + " new tokens do not fit the context of " + context() + " (" + position() + " used)");
        }
        int[] out = new int[maxTokens];
        if (maxTokens == 0) return out;
        Tensor logits = prefill(prompt, null);
        int n = 0;
        while (true) {
            int id = sampler.sample(logits); // [1, V]
            out[n++] = id;
            if (listener != null) listener.onToken(id);
            if (n == maxTokens || contains(stopIds, id)) break;
            logits = next(id);
        }
        return n == maxTokens ? out : java.util.Arrays.copyOf(out, n);
    }

    private static boolean contains(int[] ids, int id) {
        for (int x : ids) if (x == id) return true;
        return false;
    }

    /** Forgets the conversation (the cache is reused). */
    public void reset() { cache.clear(); }

    @Override
    public void close() {
        scratch.close();
        cache.close();
    }
}
