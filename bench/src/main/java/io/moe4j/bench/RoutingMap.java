package io.moe4j.bench;

/**
 * Where one batch went: {@code weight(t, e)} is the gate weight token t gave expert e (0 when not routed there).
 *
 * @param weights token-major, {@code tokens × experts}
 */
public record RoutingMap(int tokens, int experts, float[] weights) {
    public RoutingMap {
        if ((long) tokens * experts != weights.length) {
            throw new IllegalArgumentException(tokens + " × " + experts + " routing map with " + weights.length + " weights");
        }
    }

    public float weight(int token, int expert) {
        return weights[token * experts + expert];
    }
}
