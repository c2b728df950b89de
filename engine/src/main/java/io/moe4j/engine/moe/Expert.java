package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.Tensor;

/**
 * One feed-forward expert, weights in the Hugging Face {@code [out, in]} layout (F32, F16 or BF16).
 * SwiGLU: {@code w2 · (silu(w1·x) ⊙ (w3·x))}; the others: {@code w2 · act(w1·x + b1) + b2}.
 *
 * @param w1 {@code [F, D]}
 * @param w3 {@code [F, D]} for SwiGLU, else {@code null}
 * @param w2 {@code [D, F]}
 * @param b1 {@code [F]} or {@code null}
 * @param b2 {@code [D]} or {@code null}
 */
public record Expert(Tensor w1, Tensor w3, Tensor w2, Tensor b1, Tensor b2) {

    public static Expert swiglu(Tensor w1, Tensor w3, Tensor w2) {
        return new Expert(w1, w3, w2, null, null);
    }

    /** F, the hidden width. */
    public long ffnSize() { return w1.dim(0); }

    /** D, the model width. */
    public long modelSize() { return w1.dim(1); }

    /** Bytes of all its weights (what a token routed here streams at decode time). */
    public long weightBytes() {
        long bytes = w1.byteSize() + w2.byteSize();
        if (w3 != null) bytes += w3.byteSize();
        if (b1 != null) bytes += b1.byteSize();
        if (b2 != null) bytes += b2.byteSize();
        return bytes;
    }
}
