package io.moe4j.engine.nn;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.backend.cpu.kernels.Rope;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Causal multi-head attention with grouped KV heads, rotate-half RoPE and an optional sliding window, over a
 * {@link KvCache}.
 *
 * <pre>
 * q, k, v = x·Wqᵀ, x·Wkᵀ, x·Wvᵀ        or  qkv = clamp(x·Wqkvᵀ, ±clip) split [q | k | v]   (DBRX)
 * q, k    = rope(q), rope(k) at positions start … start+T−1
 * cache[start …] = k, v
 * out_h   = softmax(q_h · K_{h/(H/KV)}ᵀ / √hd) · V_{h/(H/KV)}     over positions j ≤ p (and p − j < window)
 * y       = out · Woᵀ
 * </pre>
 */
public final class Attention {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final AttentionSpec spec;
    private final AttentionWeights weights;
    private final int layer;
    private final float scale;

    public Attention(AttentionSpec spec, AttentionWeights weights, int layer) {
        this.spec = spec;
        this.weights = weights;
        this.layer = layer;
        this.scale = (float) (1 / Math.sqrt(spec.headDim()));
    }

    /** {@code y[0, T) = attention(x[0, T))} for tokens at positions {@code start …}; writes their K/V to the cache. */
    void forward(Backend backend, Tensor x, int tokens, int start, KvCache cache, ForwardScratch s, Tensor y) {
        Tensor q = s.q.rows(tokens), k = s.k.rows(tokens), v = s.v.rows(tokens);
        project(backend, x, tokens, s, q, k, v);
        int hd = spec.headDim();
        for (int t = 0; t < tokens; t++) {
            int position = start + t;
            Rope.apply(q.segment(), 4L * t * spec.qWidth(), q.segment(), 4L * t * spec.qWidth(), spec.heads(), hd, position, spec.ropeTheta());
            Rope.apply(k.segment(), 4L * t * spec.kvWidth(), k.segment(), 4L * t * spec.kvWidth(), spec.kvHeads(), hd, position, spec.ropeTheta());
        }
        long rowBytes = 4L * spec.kvWidth();
        MemorySegment keys = cache.keys(layer).segment(), values = cache.values(layer).segment();
        MemorySegment.copy(k.segment(), 0, keys, start * rowBytes, tokens * rowBytes);
        MemorySegment.copy(v.segment(), 0, values, start * rowBytes, tokens * rowBytes);
        Tensor out = s.attended.rows(tokens);
        for (int t = 0; t < tokens; t++) attend(q, t, start + t, keys, values, s.scores, out);
        backend.matmul(out, weights.o(), y);
    }

    private void project(Backend backend, Tensor x, int tokens, ForwardScratch s, Tensor q, Tensor k, Tensor v) {
        if (!weights.fused()) {
            backend.matmul(x, weights.q(), q);
            backend.matmul(x, weights.k(), k);
            backend.matmul(x, weights.v(), v);
            return;
        }
        Tensor qkv = s.qkv.rows(tokens);
        backend.matmul(x, weights.qkv(), qkv);
        int width = spec.qkvWidth(), qw = spec.qWidth(), kw = spec.kvWidth();
        MemorySegment f = qkv.segment();
        if (spec.clipQkv() > 0) {
            float c = spec.clipQkv();
            for (long i = 0, n = (long) tokens * width; i < n; i++) {
                float val = f.getAtIndex(F32, i);
                if (val > c) f.setAtIndex(F32, i, c);
                else if (val < -c) f.setAtIndex(F32, i, -c);
            }
        }
        for (int t = 0; t < tokens; t++) {
            long row = 4L * t * width;
            MemorySegment.copy(f, row, q.segment(), 4L * t * qw, 4L * qw);
            MemorySegment.copy(f, row + 4L * qw, k.segment(), 4L * t * kw, 4L * kw);
            MemorySegment.copy(f, row + 4L * (qw + kw), v.segment(), 4L * t * kw, 4L * kw);
        }
    }

    /** One query token at {@code position} over the cached keys and values of positions [first, position]. */
    private void attend(Tensor q, int t, int position, MemorySegment keys, MemorySegment values, float[] scores, Tensor out) {
        int hd = spec.headDim();
        int group = spec.heads() / spec.kvHeads();
        int first = spec.slidingWindow() > 0 ? Math.max(0, position - spec.slidingWindow() + 1) : 0;
        int n = position - first + 1;
        for (int h = 0; h < spec.heads(); h++) {
            long qOff = 4L * ((long) t * spec.qWidth() + (long) h * hd);
            int kv = h / group;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                long kOff = 4L * ((long) (first + j) * spec.kvWidth() + (long) kv * hd);
                float score = Elementwise.dot(q.segment(), qOff, keys, kOff, hd) * scale;
                scores[j] = score;
                max = Math.max(max, score);
            }
            double sum = 0;
            for (int j = 0; j < n; j++) {
                float e = (float) Math.exp(scores[j] - max);
                scores[j] = e;
                sum += e;
            }
            float inv = (float) (1 / sum);
            long oOff = 4L * ((long) t * spec.qWidth() + (long) h * hd);
            Elementwise.zero(out.segment(), oOff, hd);
            for (int j = 0; j < n; j++) {
                long vOff = 4L * ((long) (first + j) * spec.kvWidth() + (long) kv * hd);
                Elementwise.axpy(scores[j] * inv, values, vOff, out.segment(), oOff, hd);
            }
        }
    }
}
