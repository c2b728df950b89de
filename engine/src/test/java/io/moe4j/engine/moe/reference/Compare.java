package io.moe4j.engine.moe.reference;

import io.moe4j.engine.moe.RoutingStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Compares an engine forward call with {@link NaiveMoe}'s, separating real failures from near-ties.
 *
 * <p>A difference that a near-tie can explain (a top-k, group or token-cut decision, or GShard's u, within
 * {@link NaiveMoe#TIE_GAP} of going the other way — float32 routing may decide it differently from the double
 * reference) is reported as a near-tie, not a failure: per token for routers where tokens are independent, for
 * the whole batch where capacity or a batch-level router couples them. Everything else is a failure.
 */
public final class Compare {
    /** y tolerance: |y − ref| ≤ abs + rel·|ref|. */
    public record Tolerance(double abs, double rel, double statsRel, double statsAbs) {
        /**
         * Engine vs reference on random layers: |y − ref| ≤ 1e-4·(1 + |ref|). The engine works in float32
         * (ε = 6e-8) on dot products of at most 96 terms of O(1) magnitude, through a softmax and at most three
         * chained products; the worst-case accumulated rounding is a few 1e-6 relative and the typical one far
         * less, so 1e-4 leaves a margin of 10× or more, while any semantic slip (a wrong weight, a missing bias,
         * an expert served or not) moves y by 1e-2 or more. The weights' dtype does not enter: the reference
         * reads the very values F16/BF16 tensors store. Statistics: 1e-5 relative (the golden README's
         * standard) with a 1e-7 absolute floor that only matters for values below 1e-2.
         */
        public static final Tolerance ENGINE = new Tolerance(1e-4, 1e-4, 1e-5, 1e-7);
        /** The golden README's: |y − expected| ≤ 1e-5 + 1e-5·|expected|, statistics 1e-5 relative. */
        public static final Tolerance GOLDEN = new Tolerance(1e-5, 1e-5, 1e-5, 0);
    }

    /** Failures and near-ties found in one comparison. */
    public static final class Report {
        public final List<String> failures = new ArrayList<>();
        public final List<String> nearTies = new ArrayList<>();
        public double maxAbsErr;
        public double maxScaledErr; // max |y − ref| / (abs + rel·|ref|): 1 is the limit

        public boolean ok() { return failures.isEmpty(); }

        public void addAll(String prefix, Report other) {
            for (String f : other.failures) failures.add(prefix + f);
            for (String f : other.nearTies) nearTies.add(prefix + f);
            maxAbsErr = Math.max(maxAbsErr, other.maxAbsErr);
            maxScaledErr = Math.max(maxScaledErr, other.maxScaledErr);
        }

        @Override
        public String toString() {
            return "failures=" + failures + (nearTies.isEmpty() ? "" : ", near-ties=" + nearTies);
        }
    }

    private Compare() { }

    /** Compares y [T][D] and (when stats is not null) the routing statistics. */
    public static Report check(NaiveMoe.Result ref, float[][] y, RoutingStats stats, Tolerance tol) {
        Report rep = new Report();
        boolean anyTie = ref.minGap() < NaiveMoe.TIE_GAP;
        int badTokens = 0;
        for (int t = 0; t < ref.y.length; t++) {
            double worst = 0;
            int worstI = -1;
            for (int i = 0; i < ref.y[t].length; i++) {
                double r = ref.y[t][i], v = y[t][i];
                double diff = Math.abs(v - r);
                if (Double.isNaN(v)) diff = Double.POSITIVE_INFINITY;
                double scaled = diff / (tol.abs() + tol.rel() * Math.abs(r));
                rep.maxAbsErr = Math.max(rep.maxAbsErr, diff);
                rep.maxScaledErr = Math.max(rep.maxScaledErr, scaled);
                if (scaled > 1 && scaled > worst) {
                    worst = scaled;
                    worstI = i;
                }
            }
            if (worstI >= 0) {
                String msg = String.format("y[%d][%d] = %.8g, reference %.8g (|diff| %.3g, %.1f× the tolerance; "
                                + "reference served %s with weights %s)", t, worstI, y[t][worstI], ref.y[t][worstI],
                        Math.abs(y[t][worstI] - ref.y[t][worstI]), worst, ref.served.get(t), ref.weights.get(t));
                if (ref.nearTieAffects(t)) {
                    rep.nearTies.add(msg + " — near-tie: " + ref.ties);
                } else if (badTokens++ < 4) {
                    rep.failures.add(msg);
                }
            }
        }
        if (badTokens > 4) rep.failures.add("... " + badTokens + " of " + ref.y.length + " tokens wrong in all");
        if (stats == null) return rep;

        long[] load = stats.expertLoads();
        if (!Arrays.equals(load, ref.load) || stats.dropped() != ref.dropped) {
            String msg = "expert_load " + Arrays.toString(load) + " dropped " + stats.dropped() + ", reference "
                    + Arrays.toString(ref.load) + " dropped " + ref.dropped;
            (anyTie ? rep.nearTies : rep.failures).add(msg + (anyTie ? " — near-tie: " + ref.ties : ""));
        }
        if (stats.hasRouterLosses() != ref.hasLosses) {
            rep.failures.add("hasRouterLosses " + stats.hasRouterLosses() + ", reference " + ref.hasLosses
                    + " (aux " + stats.auxLoss() + ", z " + stats.zLoss() + ", entropy " + stats.entropy() + ")");
        } else if (ref.hasLosses) {
            statistic(rep, "aux_loss", stats.auxLoss(), ref.aux, tol, anyTie, ref);
            statistic(rep, "z_loss", stats.zLoss(), ref.z, tol, false, ref);
            statistic(rep, "entropy", stats.entropy(), ref.entropy, tol, false, ref);
        } else if (!Double.isNaN(stats.auxLoss()) || !Double.isNaN(stats.zLoss()) || !Double.isNaN(stats.entropy())) {
            rep.failures.add("losses reported for a router without logits: " + stats);
        }
        return rep;
    }

    private static void statistic(Report rep, String name, double v, double r, Tolerance tol, boolean tieCanExplain,
                                  NaiveMoe.Result ref) {
        if (!(Math.abs(v - r) <= tol.statsRel() * Math.abs(r) + tol.statsAbs())) {
            String msg = String.format("%s = %.10g, reference %.10g (relative diff %.3g)", name, v, r, Math.abs(v - r) / Math.abs(r));
            if (tieCanExplain) rep.nearTies.add(msg + " — near-tie: " + ref.ties);
            else rep.failures.add(msg);
        }
    }
}
