package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.ValueLayout;

/**
 * Hash layers (Roller et al. 2021): token id → {@code hash.table[id]}, k = 1, g = 1. With a {@code router.weight}
 * the losses are reported on its logits; without one they are omitted.
 */
final class HashRouter implements Router {
    private final Backend backend;
    private final MoeConfig config;
    private final RouterTensors tensors;
    private final Tensor table;

    HashRouter(Backend backend, MoeConfig config, RouterTensors tensors, Tensor table) {
        this.backend = backend;
        this.config = config;
        this.tensors = tensors;
        this.table = table;
    }

    @Override
    public void route(Tensor x, int tokens, Tensor tokenIds, long call, LayerScratch s, RoutingStats stats) {
        if (tokenIds == null) throw new IllegalArgumentException("the hash router needs token ids");
        long vocab = table.dim(0);
        s.choices.reset(tokens, 1);
        for (int t = 0; t < tokens; t++) {
            int id = tokenIds.segment().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, t);
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " of token " + t + " is outside hash.table [0, " + vocab + ")");
            }
            s.choices.set(t, 0, table.segment().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, id), 1f);
        }
        if (tensors.router() != null) {
            int e = config.numExperts();
            Tensor h = Router.logits(backend, x, tokens, tensors.router(), tensors.routerBias(), s.logits);
            s.losses.reset();
            for (int t = 0; t < tokens; t++) {
                Router.readRow(h, t, s.row);
                float lse = Gates.softmax(s.row, e, s.prob);
                s.losses.token(lse, Gates.entropy(s.prob, e));
                for (int i = 0; i < e; i++) s.losses.probability(i, s.prob[i]);
                s.losses.choice(s.choices.expert(t, 0), 1);
            }
            s.losses.finish(stats, tokens);
        }
        Capacity.admit(s.choices, Capacity.of(config, tokens), s.load, s.assignments, stats);
    }
}
