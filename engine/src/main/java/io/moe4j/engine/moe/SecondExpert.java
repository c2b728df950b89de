package io.moe4j.engine.moe;

import java.util.Locale;

/** GShard's policy for the second choice of a k = 2 switch router ({@code moe.second_expert}). */
public enum SecondExpert {
    /** Always keep the second choice. */
    TOP,
    /** Keep it only when {@code u < 2·g₂/(g₁+g₂)}, u uniform from the layer's seeded generator. */
    RANDOM;

    public String key() { return name().toLowerCase(Locale.ROOT); }

    public static SecondExpert parse(String value) {
        for (SecondExpert s : values()) if (s.key().equals(value)) return s;
        throw new IllegalArgumentException("unknown moe.second_expert '" + value + "' (one of " + RouterKind.names(values()) + ")");
    }
}
