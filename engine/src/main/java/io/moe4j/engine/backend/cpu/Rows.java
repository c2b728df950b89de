package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

/**
 * How a row-wise op sees an F32 tensor: {@code rows} rows of {@code n} contiguous floats, {@code stride} bytes
 * apart. A rank-1 tensor is one row; rank 2 may have a row stride; higher ranks must be contiguous.
 */
record Rows(long rows, int n, long strideBytes) {

    static Rows of(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        if (t.rank() == 0) return new Rows(1, 1, 4);
        long n = t.dim(-1);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + " rows are too long: " + t);
        if (n > 1 && t.stride(-1) != 1) throw new IllegalArgumentException(what + " needs contiguous rows, got " + t);
        if (t.rank() == 1) return new Rows(1, (int) n, 4 * n);
        if (t.rank() == 2) return new Rows(t.dim(0), (int) n, 4 * t.stride(0));
        t.requireContiguous(what);
        return new Rows(t.size() / Math.max(n, 1), (int) n, 4 * n);
    }

    /** Checks that {@code other} has the same rows and row length as this. */
    Rows requireSame(Rows other, Tensor a, Tensor b) {
        if (rows != other.rows || n != other.n) {
            throw new IllegalArgumentException("shapes differ: " + a + " and " + b);
        }
        return this;
    }
}
