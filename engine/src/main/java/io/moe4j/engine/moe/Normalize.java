package io.moe4j.engine.moe;

import java.util.Locale;

/** How top-k gate weights are normalised ({@code moe.normalize}): divided by their L1 or L2 norm, or kept. */
public enum Normalize {
    L1, L2, NONE;

    public String key() { return name().toLowerCase(Locale.ROOT); }

    public static Normalize parse(String value) {
        for (Normalize n : values()) if (n.key().equals(value)) return n;
        throw new IllegalArgumentException("unknown moe.normalize '" + value + "' (one of " + RouterKind.names(values()) + ")");
    }
}
