package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.tensor.Tensor;

/**
 * The softmax top-k family: {@code softmax_topk} (Mixtral, DBRX, Qwen), {@code dense} (k = E, g = p),
 * {@code noisy_topk} (Shazeer 2017: top-k of {@code h + ε ⊙ softplus(Wn·x)}, l1) and {@code switch} (normalize
 * none, capacity, GShard's random second expert).
 *
 * <p>Losses are defined on the router logits h, as the contract says, also when noise is on (then the experts and
 * their weights come from the noisy H, the statistics from the clean h).
 */
final class TopKRouter implements Router {
    private final Backend backend;
    private final MoeConfig config;
    private final RouterTensors tensors;
    private final Normalize normalize;

    TopKRouter(Backend backend, MoeConfig config, RouterTensors tensors) {
        this.backend = backend;
        this.config = config;
        this.tensors = tensors;
        this.normalize = switch (config.router()) {
            case DENSE, SWITCH -> Normalize.NONE;
            case NOISY_TOPK -> Normalize.L1;
            default -> config.normalize();
        };
    }

    @Override
    public void route(Tensor x, int tokens, Tensor tokenIds, long call, LayerScratch s, RoutingStats stats) {
        int e = config.numExperts();
        int k = config.topK();
        boolean noisy = config.router() == RouterKind.NOISY_TOPK && config.noise();
        Tensor h = Router.logits(backend, x, tokens, tensors.router(), tensors.routerBias(), s.logits);
        Tensor noise = noisy ? Router.logits(backend, x, tokens, tensors.noise(), null, s.noiseLogits) : null;
        boolean gshard = config.router() == RouterKind.SWITCH && k == 2 && config.secondExpert() == SecondExpert.RANDOM;
        s.choices.reset(tokens, k);
        s.losses.reset();
        for (int t = 0; t < tokens; t++) {
            Router.readRow(h, t, s.row);
            float lse = Gates.softmax(s.row, e, s.prob);
            s.losses.token(lse, Gates.entropy(s.prob, e));
            for (int i = 0; i < e; i++) s.losses.probability(i, s.prob[i]);
            if (noisy) {
                Router.readRow(noise, t, s.aux);
                for (int i = 0; i < e; i++) {
                    double eps = CounterRng.normal(config.seed(), call, t, i, CounterRng.NOISE);
                    s.row[i] += (float) (eps * Gates.softplus(s.aux[i]));
                }
                Gates.softmax(s.row, e, s.prob); // the gates of the noisy logits H
            }
            Gates.topK(s.row, e, k, s.top, s.taken);
            Gates.normalize(normalize, s.prob, s.top, k, s.weights);
            for (int r = 0; r < k; r++) s.choices.set(t, r, s.top[r], s.weights[r]);
            if (gshard) {
                float g1 = s.weights[0], g2 = s.weights[1];
                double u = CounterRng.uniform(config.seed(), call, t, 0, CounterRng.SECOND_EXPERT);
                if (!(u < 2.0 * g2 / (g1 + g2))) s.choices.set(t, 1, -1, 0f);
            }
            s.losses.choice(s.top[0], 1);
        }
        s.losses.finish(stats, tokens);
        Capacity.admit(s.choices, Capacity.of(config, tokens), s.load, s.assignments, stats);
    }
}
