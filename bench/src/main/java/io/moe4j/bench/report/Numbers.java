package io.moe4j.bench.report;

import java.util.Locale;

/** How the report writes numbers: about three significant digits, no exponent, the same on every locale. */
final class Numbers {
    private Numbers() {}

    /** 1234 → "1234", 56.78 → "56.8", 3.456 → "3.46", 0.01234 → "0.0123"; NaN or infinite → "–". */
    static String format(double value) {
        if (!Double.isFinite(value)) return "–";
        if (value == 0) return "0";
        double magnitude = Math.abs(value);
        int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : magnitude >= 0.1 ? 3 : 4;
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    /** A percentage with one decimal: 12.345 → "12.3 %". */
    static String percent(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.1f %%", value) : "–";
    }

    /** "1 thread", "2 threads". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
