package io.moe4j.engine.moe;

import java.util.Arrays;

/**
 * Sums the per-token terms of the routing losses over a batch: first-choice counts (f_e), probabilities (P_e),
 * squared logsumexp (z-loss) and entropy; {@link #finish} turns them into the contract's statistics.
 */
final class LossAccumulator {
    private final double[] probability;
    private final double[] firstChoice;
    private double zLoss;
    private double entropy;
    private int tokens;

    LossAccumulator(int numExperts) {
        probability = new double[numExperts];
        firstChoice = new double[numExperts];
    }

    void reset() {
        Arrays.fill(probability, 0);
        Arrays.fill(firstChoice, 0);
        zLoss = entropy = 0;
        tokens = 0;
    }

    /** One token's logsumexp and entropy over the logits the losses are defined on. */
    void token(float logSumExp, double tokenEntropy) {
        zLoss += (double) logSumExp * logSumExp;
        entropy += tokenEntropy;
        tokens++;
    }

    void probability(int e, double p) { probability[e] += p; }

    /** Counts toward f_e: for token choice the token's first expert; for expert choice each assignment. */
    void choice(int e, double weight) { firstChoice[e] += weight; }

    /** aux_loss = E · Σ f_e · P_e, with f normalised by {@code choiceTotal} and P by the token count. */
    void finish(RoutingStats stats, double choiceTotal) {
        int e = probability.length;
        double aux = 0;
        for (int i = 0; i < e; i++) {
            double f = choiceTotal > 0 ? firstChoice[i] / choiceTotal : 0;
            double p = tokens > 0 ? probability[i] / tokens : 0;
            aux += f * p;
        }
        stats.setLosses(e * aux, tokens > 0 ? zLoss / tokens : 0, tokens > 0 ? entropy / tokens : 0);
    }
}
