package io.moe4j.bench.twin;

import java.util.Arrays;

/**
 * Whether the C twin computed what the Java layer computed on the same row: the same expert loads, and output sums
 * that agree within {@link TwinResult#RELATIVE_TOLERANCE} of {@code Σ|y|}.
 *
 * @param javaLoads          rows per expert in the Java call
 * @param twinLoads          rows per expert in the twin's
 * @param sumDifference      {@code |Σy(Java) − Σy(C)| / Σ|y|(Java)}
 * @param absSumDifference   {@code |Σ|y|(Java) − Σ|y|(C)| / Σ|y|(Java)}
 */
public record TwinCheck(long[] javaLoads, long[] twinLoads, double sumDifference, double absSumDifference) {
    public TwinCheck {
        javaLoads = javaLoads.clone();
        twinLoads = twinLoads.clone();
    }

    @Override public long[] javaLoads() { return javaLoads.clone(); }

    @Override public long[] twinLoads() { return twinLoads.clone(); }

    public boolean loadsMatch() {
        return Arrays.equals(javaLoads, twinLoads);
    }

    /** Within tolerance (false when a sum is NaN, e.g. from an overflow in y). */
    public boolean sumsMatch() {
        return sumDifference <= TwinResult.RELATIVE_TOLERANCE && absSumDifference <= TwinResult.RELATIVE_TOLERANCE;
    }

    public boolean agrees() {
        return loadsMatch() && sumsMatch();
    }

    /** One line for a user: what agrees, or what does not. */
    public String describe() {
        if (agrees()) {
            return String.format(java.util.Locale.ROOT, "C twin agrees with Java (same expert loads, sums within %.1e of Σ|y|)",
                    Math.max(sumDifference, absSumDifference));
        }
        StringBuilder s = new StringBuilder("C twin disagrees with Java:");
        if (!loadsMatch()) {
            s.append(" expert loads ").append(Arrays.toString(twinLoads)).append(" (C) vs ")
                    .append(Arrays.toString(javaLoads)).append(" (Java);");
        }
        if (!sumsMatch()) {
            s.append(String.format(java.util.Locale.ROOT,
                    " Σy differs by %.3e and Σ|y| by %.3e of Σ|y| (tolerance %.0e);",
                    sumDifference, absSumDifference, TwinResult.RELATIVE_TOLERANCE));
        }
        s.setLength(s.length() - 1);
        return s.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
