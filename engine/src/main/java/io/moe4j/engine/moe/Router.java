package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.RowViews;

import io.moe4j.engine.tensor.Tensor;

/**
 * Picks experts for a batch: fills {@code s.assignments} (after capacity) and the routing statistics.
 * One implementation per family of the contract's routers; {@code soft} mixes tokens instead and is
 * {@link SoftMoe}.
 */
sealed interface Router permits TopKRouter, HashRouter, HierarchicalRouter, ExpertChoiceRouter {

    /**
     * @param x        F32 {@code [T, D]}
     * @param tokenIds I32 {@code [T]}, or null when the router needs none
     * @param call     the layer's forward-call counter, a key of its random numbers
     */
    void route(Tensor x, int tokens, Tensor tokenIds, long call, LayerScratch s, RoutingStats stats);

    /** Logits {@code h = W·x (+ b)} for the batch, float32, into a view of the scratch. */
    static Tensor logits(io.moe4j.engine.backend.Backend backend, Tensor x, int tokens, Tensor weight, Tensor bias,
                         RowViews buffer) {
        Tensor h = buffer.rows(tokens);
        backend.matmul(x, weight, h);
        if (bias != null) {
            long width = h.dim(1);
            long stride = 4 * h.stride(0);
            for (int t = 0; t < tokens; t++) {
                io.moe4j.engine.backend.cpu.kernels.Elementwise.add(h.segment(), t * stride, bias.segment(), 0,
                        h.segment(), t * stride, width);
            }
        }
        return h;
    }

    /** Copies row t of {@code h} into {@code row}. */
    static void readRow(Tensor h, int t, float[] row) {
        java.lang.foreign.MemorySegment.copy(h.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED,
                4 * t * h.stride(0), row, 0, (int) h.dim(1));
    }
}
