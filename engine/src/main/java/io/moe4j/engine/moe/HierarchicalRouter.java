package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.tensor.Tensor;

/**
 * Two-level routing: a top gate over G groups ({@code router.weight [G, D]}), then a gate inside each chosen group
 * ({@code groups.{g}.router.weight [E/G, D]}). Dense when {@code group_top_k = G} and {@code top_k = E/G}
 * (Jordan & Jacobs 1994), sparse otherwise (group-limited routing). A token's choices are listed group rank by
 * group rank, expert rank by expert rank inside, with weight {@code π'_g · ρ'_{g,j}}.
 *
 * <p>Losses: z-loss and entropy on the top gate; P_e is the tree probability {@code π_g · ρ_{g,j}}; f_e counts
 * the first expert of the first group.
 */
final class HierarchicalRouter implements Router {
    private final Backend backend;
    private final MoeConfig config;
    private final RouterTensors tensors;

    HierarchicalRouter(Backend backend, MoeConfig config, RouterTensors tensors) {
        this.backend = backend;
        this.config = config;
        this.tensors = tensors;
    }

    @Override
    public void route(Tensor x, int tokens, Tensor tokenIds, long call, LayerScratch s, RoutingStats stats) {
        int groups = config.groups();
        int perGroup = config.expertsPerGroup();
        int kg = config.groupTopK();
        int k = config.topK();
        Tensor top = Router.logits(backend, x, tokens, tensors.router(), tensors.routerBias(), s.logits);
        Tensor inner = Router.logits(backend, x, tokens, tensors.groupRouters(), null, s.groupLogits);
        float[] pi = s.aux;              // π over the groups
        float[] groupWeight = s.batchProb; // π' of the chosen groups, by group rank
        s.choices.reset(tokens, kg * k);
        s.losses.reset();
        for (int t = 0; t < tokens; t++) {
            Router.readRow(top, t, s.row);
            float lse = Gates.softmax(s.row, groups, pi);
            s.losses.token(lse, Gates.entropy(pi, groups));
            Gates.topK(pi, groups, kg, s.groupTop, s.taken);
            Gates.normalize(config.normalize(), pi, s.groupTop, kg, s.weights);
            for (int r = 0; r < kg; r++) groupWeight[r] = s.weights[r];
            Router.readRow(inner, t, s.row);
            for (int g = 0; g < groups; g++) {
                System.arraycopy(s.row, g * perGroup, s.prob, 0, perGroup);
                Gates.softmax(s.prob, perGroup, s.prob); // ρ, in place
                for (int j = 0; j < perGroup; j++) s.losses.probability(g * perGroup + j, (double) pi[g] * s.prob[j]);
                int rank = indexOf(s.groupTop, kg, g);
                if (rank < 0) continue;
                Gates.topK(s.prob, perGroup, k, s.top, s.taken);
                Gates.normalize(config.normalize(), s.prob, s.top, k, s.weights);
                for (int r = 0; r < k; r++) {
                    s.choices.set(t, rank * k + r, g * perGroup + s.top[r], groupWeight[rank] * s.weights[r]);
                }
            }
            s.losses.choice(s.choices.expert(t, 0), 1);
        }
        s.losses.finish(stats, tokens);
        Capacity.admit(s.choices, Capacity.of(config, tokens), s.load, s.assignments, stats);
    }

    private static int indexOf(int[] values, int n, int v) {
        for (int i = 0; i < n; i++) if (values[i] == v) return i;
        return -1;
    }
}
