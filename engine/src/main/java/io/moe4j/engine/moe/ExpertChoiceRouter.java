package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.tensor.Tensor;

/**
 * Expert choice (Zhou et al. 2022): experts pick tokens. {@code P = softmax(h)} row-wise; each expert takes the
 * {@code C = ceil(capacity_factor · T / E)} tokens with the largest {@code P[:, e]} (ties to the lower token),
 * with weight {@code P[t, e]}; capacity_factor defaults to k. A token no expert chose gets y = 0.
 * f_e for the aux loss is e's share of all assignments.
 */
final class ExpertChoiceRouter implements Router {
    private final Backend backend;
    private final MoeConfig config;
    private final RouterTensors tensors;

    ExpertChoiceRouter(Backend backend, MoeConfig config, RouterTensors tensors) {
        this.backend = backend;
        this.config = config;
        this.tensors = tensors;
    }

    /** Tokens each expert takes from a batch of T (never more than T). */
    static int capacity(MoeConfig config, int tokens) {
        double factor = config.hasCapacity() ? config.capacityFactor() : config.topK();
        return (int) Math.min(tokens, (long) Math.ceil(factor * tokens / config.numExperts()));
    }

    @Override
    public void route(Tensor x, int tokens, Tensor tokenIds, long call, LayerScratch s, RoutingStats stats) {
        int e = config.numExperts();
        Tensor h = Router.logits(backend, x, tokens, tensors.router(), tensors.routerBias(), s.logits);
        float[] p = s.batchProb;
        s.losses.reset();
        for (int t = 0; t < tokens; t++) {
            Router.readRow(h, t, s.row);
            float lse = Gates.softmax(s.row, e, s.prob);
            System.arraycopy(s.prob, 0, p, t * e, e);
            s.losses.token(lse, Gates.entropy(s.prob, e));
            for (int i = 0; i < e; i++) s.losses.probability(i, s.prob[i]);
        }
        int c = capacity(config, tokens);
        s.assignments.reset(e * c);
        for (int expert = 0; expert < e; expert++) {
            java.util.Arrays.fill(s.taken, 0, tokens, false);
            for (int r = 0; r < c; r++) {
                int best = -1;
                for (int t = 0; t < tokens; t++) {
                    if (!s.taken[t] && (best < 0 || p[t * e + expert] > p[best * e + expert])) best = t;
                }
                s.taken[best] = true;
                s.assignments.add(best, expert, p[best * e + expert]);
            }
            stats.addLoad(expert, c);
            s.losses.choice(expert, c);
        }
        s.losses.finish(stats, (double) e * c);
    }
}
