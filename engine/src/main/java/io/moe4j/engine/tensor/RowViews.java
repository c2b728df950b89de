package io.moe4j.engine.tensor;

import java.lang.foreign.Arena;

/**
 * Prefix views {@code [m, width]} of one scratch buffer, made once and reused, so that code running on the first m
 * rows of a scratch buffer (an expert's m tokens, a batch of m tokens) creates no tensor objects per call.
 */
public final class RowViews {
    private final Tensor buffer;
    private final Tensor[] views;

    /** A buffer of {@code rows × width} floats in {@code arena} with its views. */
    public static RowViews of(Arena arena, long rows, long width) {
        return new RowViews(allocate(arena, rows, width), width);
    }

    /** Views of the first {@code width} columns of {@code buffer} {@code [capacity, ≥ width]}. */
    public RowViews(Tensor buffer, long width) {
        this.buffer = buffer.slice(1, 0, width);
        this.views = new Tensor[(int) buffer.dim(0) + 1];
    }

    /** The first {@code m} rows. */
    public Tensor rows(int m) {
        Tensor v = views[m];
        if (v == null) views[m] = v = buffer.slice(0, 0, m);
        return v;
    }

    /** The whole buffer, {@code [capacity, width]}. */
    public Tensor all() { return buffer; }

    /** Rows the buffer holds. */
    public int capacity() { return views.length - 1; }

    /** An F32 {@code [rows, cols]} buffer (at least 1 × 1) in {@code arena}. */
    public static Tensor allocate(Arena arena, long rows, long cols) {
        return Tensor.allocate(arena, DType.F32, Math.max(rows, 1), Math.max(cols, 1));
    }
}
