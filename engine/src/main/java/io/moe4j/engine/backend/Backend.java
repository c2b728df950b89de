package io.moe4j.engine.backend;

import io.moe4j.engine.tensor.Tensor;

/**
 * The seam between orchestration and arithmetic: everything the engine computes goes through here.
 *
 * <p>Conventions every implementation keeps:
 * <ul>
 *   <li>Activations are F32 {@code [rows, n]} tensors whose rows are contiguous (the row stride may be larger).
 *   <li>Weights are {@code [N, K]}, the Hugging Face layout; their dtype picks the kernel.
 *   <li>Calls may be asynchronous on a device backend: results are visible after {@link #synchronize()}.
 *       The CPU backend completes every call before it returns.
 *   <li>A call allocates nothing on the Java heap once its shapes have been seen (caches fill on first use).
 *   <li>Calls from several threads at once are safe as long as they write to different outputs.
 * </ul>
 * Shape or dtype mismatches throw {@link IllegalArgumentException} naming the operand.
 */
public interface Backend extends AutoCloseable {

    /** A short human-readable name, e.g. {@code cpu (oneDNN 3.13.0, avx2, 2 threads)}. */
    String name();

    /** {@code y[M, N] = x[M, K] · wᵀ} with {@code w} stored {@code [N, K]}; x and y F32. */
    void matmul(Tensor x, Tensor w, Tensor y);

    /** Per row: {@code out = x / sqrt(mean(x²) + eps) · weight}; weight F32 {@code [n]}. */
    void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out);

    /** Per row, LayerNorm without bias: {@code out = (x − mean) / sqrt(var + eps) · weight}. */
    void layerNorm(Tensor x, Tensor weight, float eps, Tensor out);

    /** {@code out = x · sigmoid(x)}. */
    void silu(Tensor x, Tensor out);

    /** {@code out = silu(gate) · up}: the SwiGLU product. */
    void siluMul(Tensor gate, Tensor up, Tensor out);

    /** {@code out = x · Φ(x)} with the exact (erf) Gaussian CDF. */
    void gelu(Tensor x, Tensor out);

    /** {@code out = max(x, 0)}. */
    void relu(Tensor x, Tensor out);

    /** Softmax of every row, computed in float32. */
    void softmax(Tensor x, Tensor out);

    /**
     * The {@code k} largest values of every row of {@code scores} {@code [rows, n]}, in descending order, ties
     * to the lower index: {@code indices} I32 {@code [rows, k]}, {@code values} F32 {@code [rows, k]}.
     */
    void topK(Tensor scores, int k, Tensor indices, Tensor values);

    /**
     * Rotate-half rotary embedding in place: {@code x} is {@code [T, heads, headDim]}, token t at position
     * {@code positions[t]} (I32 {@code [T]}), frequencies {@code theta^(−2i/headDim)}.
     */
    void rope(Tensor x, Tensor positions, float theta);

    /** {@code out = a + b} (same shapes). */
    void add(Tensor a, Tensor b, Tensor out);

    /** {@code out = s · x}. */
    void scale(Tensor x, float s, Tensor out);

    /** Waits until every call issued so far has completed. */
    void synchronize();

    /** Frees the backend's native resources; tensors passed in stay owned by their arenas. */
    @Override
    void close();
}
