package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;

/** Runs {@link MoeLayer#forward} on plain arrays (inputs copied into tensors of the given arena). */
final class LayerRunner {
    private LayerRunner() { }

    static Tensor x(Arena arena, float[][] x) {
        int t = x.length, d = t == 0 ? 0 : x[0].length;
        Tensor xt = Tensor.allocate(arena, DType.F32, t, d);
        for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) xt.setFloat(x[i][j], i, j);
        return xt;
    }

    static Tensor ids(Arena arena, int[] ids) {
        if (ids == null) return null;
        Tensor t = Tensor.allocate(arena, DType.I32, ids.length);
        for (int i = 0; i < ids.length; i++) t.setFloat(ids[i], i);
        return t;
    }

    /** y [T, D] filled with NaN, so that a forward call that leaves an element unwritten shows. */
    static Tensor poisonedY(Arena arena, int t, long d) {
        Tensor y = Tensor.allocate(arena, DType.F32, t, d);
        y.segment().fill((byte) 0xFF); // all-ones bits: a NaN
        return y;
    }

    static float[][] rows(Tensor y) {
        int t = (int) y.dim(0), d = (int) y.dim(1);
        float[] v = y.toFloatArray();
        float[][] out = new float[t][d];
        for (int i = 0; i < t; i++) System.arraycopy(v, i * d, out[i], 0, d);
        return out;
    }

    /** One forward call; stats may be null. */
    static float[][] forward(MoeLayer layer, Arena arena, float[][] x, int[] ids, RoutingStats stats) {
        Tensor xt = x(arena, x);
        Tensor y = poisonedY(arena, x.length, layer.modelSize());
        layer.forward(xt, ids(arena, ids), y, stats);
        return rows(y);
    }
}
