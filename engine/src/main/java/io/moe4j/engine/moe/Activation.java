package io.moe4j.engine.moe;

import java.util.Locale;

/** Expert activations ({@code moe.activation}): SwiGLU experts have w1, w3, w2; the others w1, w2 and optional biases. */
public enum Activation {
    SWIGLU, RELU, GELU, SILU;

    public String key() { return name().toLowerCase(Locale.ROOT); }

    public boolean isGated() { return this == SWIGLU; }

    public static Activation parse(String value) {
        for (Activation a : values()) if (a.key().equals(value)) return a;
        throw new IllegalArgumentException("unknown moe.activation '" + value + "' (one of " + RouterKind.names(values()) + ")");
    }
}
