package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

/**
 * Prefix views {@code [m, width]} of one scratch buffer, made once and reused, so that running an expert on its
 * m rows creates no tensor objects per call.
 */
final class RowViews {
    private final Tensor buffer;
    private final Tensor[] views;

    /** Views of the first {@code width} columns of {@code buffer} {@code [capacity, ≥ width]}. */
    RowViews(Tensor buffer, long width) {
        this.buffer = buffer.slice(1, 0, width);
        this.views = new Tensor[(int) buffer.dim(0) + 1];
    }

    /** The first {@code m} rows. */
    Tensor rows(int m) {
        Tensor v = views[m];
        if (v == null) views[m] = v = buffer.slice(0, 0, m);
        return v;
    }

    Tensor all() { return buffer; }

    static Tensor allocate(java.lang.foreign.Arena arena, long rows, long cols) {
        return Tensor.allocate(arena, DType.F32, Math.max(rows, 1), Math.max(cols, 1));
    }
}
