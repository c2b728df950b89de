package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;

import java.util.Arrays;

/**
 * The backend's cache of oneDNN matmul primitives, keyed on shape, leading dimensions, weight type and M bucket.
 *
 * <p>Creating a primitive descriptor costs 0.1–0.2 ms even when oneDNN's own cache hits, so we keep our own.
 * A model has only a handful of distinct matmul shapes, so the cache is a copy-on-write array scanned linearly:
 * a hit reads one volatile array and allocates nothing; only a miss (the first call of a shape) takes a lock.
 *
 * <p>M buckets: M = 1 gets a primitive of its own (oneDNN then picks its GEMV path); every larger M shares one
 * runtime-M primitive, because MoE experts see every row count from 2 to T. The swapped form leaves the token
 * count to run time for the same reason.
 */
final class MatmulPrimitives implements AutoCloseable {
    private final OneDnn dnnl;
    private volatile OneDnnMatmul[] entries = new OneDnnMatmul[0];
    private boolean closed;

    MatmulPrimitives(OneDnn dnnl) {
        this.dnnl = dnnl;
    }

    static int bucket(int rows) {
        return rows == 1 ? 1 : OneDnnMatmul.RUNTIME;
    }

    /** The usual form {@code y = x · W} for {@code rows} rows (see {@link OneDnnMatmul#rows}). */
    OneDnnMatmul get(int rows, long n, long k, long ldSrc, long ldDst, int weightType, long wStrideK, long wStrideN) {
        int m = bucket(rows);
        OneDnnMatmul e = find(m, n, k, ldSrc, 1, ldDst, weightType, wStrideK, wStrideN);
        if (e != null) return e;
        return create(m, n, k, ldSrc, 1, ldDst, weightType, wStrideK, wStrideN);
    }

    /** The swapped form {@code yᵀ = W · xᵀ} for a block of {@code cols} weight rows, any number of tokens. */
    OneDnnMatmul swapped(long cols, long k, long wStrideRow, long wStrideK) {
        int rt = OneDnnMatmul.RUNTIME;
        OneDnnMatmul e = find(cols, rt, k, wStrideRow, wStrideK, rt, dnnl_h.dnnl_f32(), rt, 1);
        if (e != null) return e;
        return create(cols, rt, k, wStrideRow, wStrideK, rt, dnnl_h.dnnl_f32(), rt, 1);
    }

    private OneDnnMatmul find(long m, long n, long k, long srcStrideM, long srcStrideK, long ldDst, int weightType,
                              long wStrideK, long wStrideN) {
        for (OneDnnMatmul e : entries) {
            if (e.m == m && e.n == n && e.k == k && e.srcStrideM == srcStrideM && e.srcStrideK == srcStrideK
                    && e.ldDst == ldDst && e.weightType == weightType && e.wStrideK == wStrideK && e.wStrideN == wStrideN) {
                return e;
            }
        }
        return null;
    }

    private synchronized OneDnnMatmul create(long m, long n, long k, long srcStrideM, long srcStrideK, long ldDst,
                                             int weightType, long wStrideK, long wStrideN) {
        if (closed) throw new IllegalStateException("the backend is closed");
        OneDnnMatmul found = find(m, n, k, srcStrideM, srcStrideK, ldDst, weightType, wStrideK, wStrideN);
        if (found != null) return found;
        OneDnnMatmul created = n == OneDnnMatmul.RUNTIME
                ? OneDnnMatmul.swapped(dnnl, m, k, srcStrideM, srcStrideK)
                : OneDnnMatmul.rows(dnnl, m, n, k, srcStrideM, ldDst, weightType, wStrideK, wStrideN);
        OneDnnMatmul[] grown = Arrays.copyOf(entries, entries.length + 1);
        grown[entries.length] = created;
        entries = grown;
        return created;
    }

    int size() { return entries.length; }

    @Override
    public synchronized void close() {
        closed = true;
        for (OneDnnMatmul e : entries) e.close();
        entries = new OneDnnMatmul[0];
    }
}
