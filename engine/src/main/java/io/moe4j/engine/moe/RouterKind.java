package io.moe4j.engine.moe;

import java.util.Locale;

/** The routers of the contract ({@code moe.router}). */
public enum RouterKind {
    SOFTMAX_TOPK, DENSE, NOISY_TOPK, SWITCH, EXPERT_CHOICE, HASH, SOFT, HIERARCHICAL;

    /** The name used in layer files, e.g. {@code softmax_topk}. */
    public String key() { return name().toLowerCase(Locale.ROOT); }

    /** Parses a {@code moe.router} value; the error lists the valid names. */
    public static RouterKind parse(String value) {
        for (RouterKind k : values()) if (k.key().equals(value)) return k;
        throw new IllegalArgumentException("unknown moe.router '" + value + "' (one of " + names(values()) + ")");
    }

    /** Whether every token picks its own experts (so capacity applies rank by rank). */
    public boolean isTokenChoice() { return this != EXPERT_CHOICE && this != SOFT; }

    static String names(Enum<?>[] values) {
        StringBuilder b = new StringBuilder();
        for (Enum<?> v : values) b.append(b.isEmpty() ? "" : ", ").append(v.name().toLowerCase(Locale.ROOT));
        return b.toString();
    }
}
