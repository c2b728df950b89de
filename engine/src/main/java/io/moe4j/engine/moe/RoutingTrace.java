package io.moe4j.engine.moe;

import java.util.Arrays;

/**
 * Where one forward call sent its tokens: {@code weight(t, e)} is the gate weight with which token t's output took
 * expert e's (0 when the token did not reach e). For the soft router it is the sum of the combine weights of expert
 * e's slots. For tools (heatmaps, tests), not for the hot path: pass one to
 * {@link MoeLayer#forward(io.moe4j.engine.tensor.Tensor, io.moe4j.engine.tensor.Tensor, io.moe4j.engine.tensor.Tensor,
 * RoutingStats, RoutingTrace)} only when you want the map; it grows to the largest batch seen.
 */
public final class RoutingTrace {
    private final int experts;
    private int tokens;
    private float[] weights = new float[0];

    public RoutingTrace(int experts) {
        if (experts < 1) throw new IllegalArgumentException("a routing trace needs at least one expert, got " + experts);
        this.experts = experts;
    }

    public int experts() { return experts; }

    /** Tokens of the last traced call. */
    public int tokens() { return tokens; }

    public float weight(int token, int expert) {
        if (token < 0 || token >= tokens || expert < 0 || expert >= experts) {
            throw new IndexOutOfBoundsException("(" + token + ", " + expert + ") outside " + tokens + " × " + experts);
        }
        return weights[token * experts + expert];
    }

    /** The last call's map, token-major {@code [tokens × experts]}. */
    public float[] toArray() {
        return Arrays.copyOf(weights, tokens * experts);
    }

    void begin(int batch) {
        if ((long) batch * experts > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("routing trace of " + batch + " × " + experts + " is too large");
        }
        if (weights.length < batch * experts) weights = new float[batch * experts];
        Arrays.fill(weights, 0, batch * experts, 0f);
        tokens = batch;
    }

    void add(int token, int expert, float weight) {
        weights[token * experts + expert] += weight;
    }
}
