package io.moe4j.engine.moe;

import java.util.Arrays;

/**
 * Routing statistics of one forward call (contract: "Routing statistics"). Reusable: pass the same object to
 * every call and it is overwritten, so reading statistics allocates nothing.
 */
public final class RoutingStats {
    private final long[] expertLoad;
    private long dropped;
    private double auxLoss = Double.NaN;
    private double zLoss = Double.NaN;
    private double entropy = Double.NaN;

    public RoutingStats(int numExperts) {
        this.expertLoad = new long[numExperts];
    }

    public int numExperts() { return expertLoad.length; }

    /** Assignments served by expert e (after capacity). */
    public long expertLoad(int e) { return expertLoad[e]; }

    /** A copy of all loads. */
    public long[] expertLoads() { return expertLoad.clone(); }

    /** Assignments dropped by capacity. */
    public long dropped() { return dropped; }

    /** Whether the router has logits, so that aux_loss, z_loss and entropy are defined. */
    public boolean hasRouterLosses() { return !Double.isNaN(zLoss); }

    /** Switch load-balancing loss {@code E · Σ f_e · P_e}; NaN when the router has no logits. */
    public double auxLoss() { return auxLoss; }

    /** {@code mean_t logsumexp(h_t)²}; NaN when the router has no logits. */
    public double zLoss() { return zLoss; }

    /** {@code mean_t −Σ p log p} in nats; NaN when the router has no logits. */
    public double entropy() { return entropy; }

    // Writers, used by the layer while it routes.

    public void reset() {
        Arrays.fill(expertLoad, 0);
        dropped = 0;
        auxLoss = zLoss = entropy = Double.NaN;
    }

    public void addLoad(int e, long n) { expertLoad[e] += n; }

    public void addDropped(long n) { dropped += n; }

    public void setLosses(double auxLoss, double zLoss, double entropy) {
        this.auxLoss = auxLoss;
        this.zLoss = zLoss;
        this.entropy = entropy;
    }

    @Override
    public String toString() {
        return "RoutingStats[load=" + Arrays.toString(expertLoad) + ", dropped=" + dropped + ", aux=" + auxLoss
                + ", z=" + zLoss + ", entropy=" + entropy + "]";
    }
}
