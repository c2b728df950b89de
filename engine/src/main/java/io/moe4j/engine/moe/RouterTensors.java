package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * The float32 copies of a layer's small tensors: router math is float32 whatever the checkpoint's dtype, and
 * these tensors are a tiny fraction of the layer (E × D against the experts' E × 3 × F × D).
 */
record RouterTensors(Tensor router, Tensor routerBias, Tensor noise, Tensor groupRouters, Tensor phi,
                     Tensor sharedGate, Tensor cmrWeight, float cmrBias) {

    static RouterTensors of(MoeWeights w, Arena arena) {
        return new RouterTensors(
                w.router() == null ? null : toF32(arena, w.router()),
                w.routerBias() == null ? null : toF32(arena, w.routerBias()),
                w.noise() == null ? null : toF32(arena, w.noise()),
                w.groupRouters().isEmpty() ? null : concatRows(arena, w.groupRouters()),
                w.phi() == null ? null : toF32(arena, w.phi()),
                w.sharedGate() == null ? null : toF32(arena, w.sharedGate()).reshape(w.sharedGate().size()),
                w.cmrWeight() == null ? null : toF32(arena, w.cmrWeight()).reshape(w.cmrWeight().size()),
                w.cmrBias() == null ? 0f : w.cmrBias().reshape(1).getFloat(0));
    }

    static Tensor toF32(Arena arena, Tensor t) {
        Tensor copy = Tensor.allocate(arena, DType.F32, t.shape());
        t.copyTo(copy);
        return copy;
    }

    /** The group routers stacked into one {@code [E, D]} matrix, so one product gives every group's logits. */
    private static Tensor concatRows(Arena arena, List<Tensor> parts) {
        long rows = 0;
        for (Tensor p : parts) rows += p.dim(0);
        Tensor all = Tensor.allocate(arena, DType.F32, rows, parts.getFirst().dim(1));
        long r = 0;
        for (Tensor p : parts) {
            p.copyTo(all.slice(0, r, r + p.dim(0)));
            r += p.dim(0);
        }
        return all;
    }
}
