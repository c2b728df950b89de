package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

/**
 * How a row-wise op sees an F32 tensor: {@link #count} rows of {@link #length} contiguous floats,
 * {@link #strideBytes} apart. A rank-1 tensor is one row; rank 2 may have a row stride; higher ranks must be
 * contiguous. Answers are primitives, not a record: a record per call was a heap object on every decode step
 * until C2 happened to inline the op into its caller.
 */
final class Rows {
    private Rows() {}

    /** Checks that t can be seen as rows and returns the row length. */
    static int length(Tensor t, String what) {
        t.requireDType(DType.F32, what);
        if (t.rank() == 0) return 1;
        long n = t.dim(-1);
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException(what + " rows are too long: " + t);
        if (n > 1 && t.stride(-1) != 1) throw new IllegalArgumentException(what + " needs contiguous rows, got " + t);
        if (t.rank() > 2) t.requireContiguous(what);
        return (int) n;
    }

    /** Checks both tensors and that they have the same rows of the same length; returns that length. */
    static int requireSame(Tensor a, String aWhat, Tensor b, String bWhat) {
        int n = length(a, aWhat);
        if (length(b, bWhat) != n || count(a) != count(b)) {
            throw new IllegalArgumentException("shapes differ: " + a + " and " + b);
        }
        return n;
    }

    /** The number of rows (of a tensor {@link #length} accepted). */
    static long count(Tensor t) {
        return switch (t.rank()) {
            case 0, 1 -> 1;
            case 2 -> t.dim(0);
            default -> t.size() / Math.max(t.dim(-1), 1);
        };
    }

    /** Bytes from one row's start to the next (of a tensor {@link #length} accepted). */
    static long strideBytes(Tensor t) {
        return switch (t.rank()) {
            case 0 -> 4;
            case 2 -> 4 * t.stride(0);
            default -> 4 * t.dim(-1);
        };
    }
}
