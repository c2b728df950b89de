package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_exec_arg_t;
import io.moe4j.bindings.dnnl.dnnl_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.moe4j.engine.backend.cpu.OneDnn.check;

/**
 * One oneDNN matmul primitive, {@code dst[M, N] = src[M, K] · W[K, N]}, every operand described by its dims and
 * strides in elements (so rows may be strided, which lets a caller write a block of output columns into a wider
 * matrix, and W may be the Hugging Face {@code [N, K]} row-major layout, oneDNN tag {@code ba}, or K-major).
 *
 * <p>One dimension may be left to run time ({@link #RUNTIME}), so that one primitive serves every size of it, and
 * the per-thread memory objects are re-described only when that size changes:
 * <ul>
 *   <li>M, the usual form: {@code y = x · Wᵀ} for any number of rows of x;</li>
 *   <li>N, the swapped form {@code yᵀ[cols, T] = W[cols, K] · xᵀ[K, T]} for any number T of tokens: W is then the
 *       src operand, xᵀ the weights operand (strides {@code (T, 1)}) and yᵀ the dst ({@code (T, 1)}); see
 *       {@link BlockedMatmul} for why.</li>
 * </ul>
 *
 * <p>Primitives are immutable and may run on many threads at once; everything mutable — the stream, memory
 * objects holding data pointers, the scratchpad — lives in a per-thread {@link Execution}.
 */
final class OneDnnMatmul implements AutoCloseable {
    /** A dimension or stride given per call: the row count for M, the token count T for N and the strides (T, 1). */
    static final int RUNTIME = -1;

    final long m;
    final long n;
    final long k;
    final long srcStrideM;
    final long srcStrideK;
    final long ldDst;
    final int weightType;
    final long wStrideK;
    final long wStrideN;

    private final OneDnn dnnl;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment primitive;
    private final MemorySegment scratchpadMd;
    private final long scratchpadBytes;
    private final String implementation;
    private final ThreadLocal<Execution> executions = new ThreadLocal<>();
    private final Queue<Execution> allExecutions = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** The usual form, M fixed or {@link #RUNTIME}; src rows {@code ldSrc} apart, dst rows {@code ldDst} apart. */
    static OneDnnMatmul rows(OneDnn dnnl, long m, long n, long k, long ldSrc, long ldDst, int weightType,
                             long wStrideK, long wStrideN) {
        return new OneDnnMatmul(dnnl, m, n, k, ldSrc, 1, ldDst, weightType, wStrideK, wStrideN);
    }

    /**
     * The swapped form {@code yᵀ[cols, T] = W[cols, K] · xᵀ[K, T]} in F32, T given per call; W[c, k] at
     * {@code c · wStrideRow + k · wStrideK}, xᵀ and yᵀ dense ({@code [K, T]} and {@code [cols, T]}).
     */
    static OneDnnMatmul swapped(OneDnn dnnl, long cols, long k, long wStrideRow, long wStrideK) {
        return new OneDnnMatmul(dnnl, cols, RUNTIME, k, wStrideRow, wStrideK, RUNTIME, dnnl_h.dnnl_f32(), RUNTIME, 1);
    }

    /**
     * @param wStrideK distance in elements between W[k, n] and W[k + 1, n]: 1 for the Hugging Face {@code [N, K]}
     *                 layout, the row length for a {@code [K, N]} (K-major) layout
     * @param wStrideN distance between W[k, n] and W[k, n + 1]: K for {@code [N, K]}, 1 for K-major
     */
    private OneDnnMatmul(OneDnn dnnl, long m, long n, long k, long srcStrideM, long srcStrideK, long ldDst,
                         int weightType, long wStrideK, long wStrideN) {
        this.dnnl = dnnl;
        this.m = m;
        this.n = n;
        this.k = k;
        this.srcStrideM = srcStrideM;
        this.srcStrideK = srcStrideK;
        this.ldDst = ldDst;
        this.weightType = weightType;
        this.wStrideK = wStrideK;
        this.wStrideN = wStrideN;
        if (m == RUNTIME && n == RUNTIME) throw new IllegalArgumentException("only one of M and N can be left to run time");
        MemorySegment srcMd = srcMd(RUNTIME);
        MemorySegment dstMd = dstMd(RUNTIME);
        MemorySegment weightsMd = weightsMd(RUNTIME);
        MemorySegment attr = null;
        MemorySegment pd = null;
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_primitive_attr_create(out), "dnnl_primitive_attr_create");
            attr = out.get(ValueLayout.ADDRESS, 0);
            check(dnnl_h.dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_h.dnnl_scratchpad_mode_user()),
                    "dnnl_primitive_attr_set_scratchpad_mode");
            check(dnnl_h.dnnl_matmul_primitive_desc_create(out, dnnl.engine(), srcMd, weightsMd, MemorySegment.NULL,
                    dstMd, attr), "dnnl_matmul_primitive_desc_create(" + this + ")");
            pd = out.get(ValueLayout.ADDRESS, 0);
            MemorySegment impl = call.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_primitive_desc_query(pd, dnnl_h.dnnl_query_impl_info_str(), 0, impl), "query impl");
            this.implementation = impl.get(ValueLayout.ADDRESS, 0).reinterpret(256).getString(0);
            MemorySegment scratch = dnnl_h.dnnl_primitive_desc_query_md(pd, dnnl_h.dnnl_query_scratchpad_md(), 0);
            this.scratchpadBytes = dnnl_h.dnnl_memory_desc_get_size(scratch);
            this.scratchpadMd = scratchpadBytes > 0 ? describe(scratchpadBytes, 1, 1, 1, dnnl_h.dnnl_u8()) : null;
            check(dnnl_h.dnnl_primitive_create(out, pd), "dnnl_primitive_create");
            this.primitive = out.get(ValueLayout.ADDRESS, 0);
        } finally {
            if (pd != null) dnnl_h.dnnl_primitive_desc_destroy(pd);
            if (attr != null) dnnl_h.dnnl_primitive_attr_destroy(attr);
            destroyMd(srcMd);
            destroyMd(dstMd);
            destroyMd(weightsMd);
        }
    }

    /** The operands' descriptions for {@code count} rows (M) or tokens (N); {@link #RUNTIME} for the primitive's. */
    private MemorySegment srcMd(long count) {
        return describe(sized(m, count), k, srcStrideM, srcStrideK, dnnl_h.dnnl_f32());
    }

    private MemorySegment weightsMd(long count) {
        return describe(k, sized(n, count), sized(wStrideK, count), wStrideN, weightType);
    }

    private MemorySegment dstMd(long count) {
        return describe(sized(m, count), sized(n, count), sized(ldDst, count), 1, dnnl_h.dnnl_f32());
    }

    private static long sized(long value, long count) {
        return value == RUNTIME ? count : value;
    }

    /** Whether M is left to run time (else N is, or nothing). */
    private boolean runtimeRows() {
        return m == RUNTIME;
    }

    private boolean runtimeTokens() {
        return n == RUNTIME;
    }

    /** oneDNN's name for the implementation it chose, e.g. {@code brg_matmul:avx2}. */
    String implementation() { return implementation; }

    /**
     * Runs the product on the calling thread's execution state for {@code count} rows (the usual form; must equal
     * M unless M is left to run time) or {@code count} tokens (the swapped form). Arguments are raw addresses the
     * caller has checked ({@link DataHandles#address}).
     */
    void execute(long src, int count, long weights, long dst) {
        if (closed) throw new IllegalStateException("the backend is closed");
        Execution e = executions.get();
        if (e == null) e = newExecution();
        e.run(src, count, weights, dst);
    }

    private Execution newExecution() {
        Execution e = new Execution();
        executions.set(e);
        allExecutions.add(e);
        return e;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Execution e : allExecutions) e.destroy();
        dnnl_h.dnnl_primitive_destroy(primitive);
        if (scratchpadMd != null) destroyMd(scratchpadMd);
        arena.close();
    }

    @Override
    public String toString() {
        return "matmul M=" + (runtimeRows() ? "runtime" : m) + " N=" + (runtimeTokens() ? "runtime" : n) + " K=" + k
                + " src strides=(" + srcStrideM + ", " + srcStrideK + ") ldDst=" + (ldDst == RUNTIME ? "N" : ldDst)
                + " weights=" + weightType + " strides=(" + (wStrideK == RUNTIME ? "N" : wStrideK) + ", " + wStrideN + ")";
    }

    /** A 2-D memory descriptor; {@link #RUNTIME} dims and strides become oneDNN's runtime placeholder. */
    private static MemorySegment describe(long d0, long d1, long s0, long s1, int dataType) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(ValueLayout.ADDRESS);
            MemorySegment dims = call.allocateFrom(ValueLayout.JAVA_LONG, placeholder(d0), placeholder(d1));
            MemorySegment strides = call.allocateFrom(ValueLayout.JAVA_LONG, placeholder(s0), placeholder(s1));
            check(dnnl_h.dnnl_memory_desc_create_with_strides(out, 2, dims, dataType, strides),
                    "dnnl_memory_desc_create_with_strides");
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    private static long placeholder(long value) {
        return value == RUNTIME ? dnnl_h.DNNL_RUNTIME_DIM_VAL() : value;
    }

    private static void destroyMd(MemorySegment md) {
        if (md != null) dnnl_h.dnnl_memory_desc_destroy(md);
    }

    /** The mutable half of a matmul, owned by one thread: stream, memory objects, scratchpad, argument list. */
    private final class Execution {
        private final MemorySegment stream;
        private final MemorySegment scratchpadMemory;
        private final MemorySegment args;
        private final MemorySegment handleOut;
        private final int nargs;
        private MemorySegment srcMemory;
        private MemorySegment weightsMemory;
        private MemorySegment dstMemory;
        // Memory objects per runtime size (rows or tokens), created the first time that size is seen: experts see
        // ever-changing sizes, and re-creating memory objects per call would allocate. Operands whose description
        // does not depend on the size are created once and stored under every size.
        private MemorySegment[] sizedSrc = new MemorySegment[2];
        private MemorySegment[] sizedWeights = new MemorySegment[2];
        private MemorySegment[] sizedDst = new MemorySegment[2];
        private final MemorySegment fixedSrc;
        private final MemorySegment fixedWeights;
        private int boundCount = -1;

        Execution() {
            handleOut = arena.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_stream_create(handleOut, dnnl.engine(), dnnl_h.dnnl_stream_default_flags()),
                    "dnnl_stream_create");
            stream = handleOut.get(ValueLayout.ADDRESS, 0);
            fixedSrc = runtimeRows() ? null : newMemory(srcMd(0));
            fixedWeights = runtimeTokens() ? null : newMemory(weightsMd(0));
            if (scratchpadMd != null) {
                MemorySegment buffer = arena.allocate(scratchpadBytes, 64);
                check(dnnl_h.dnnl_memory_create(handleOut, scratchpadMd, dnnl.engine(), buffer), "dnnl_memory_create");
                scratchpadMemory = handleOut.get(ValueLayout.ADDRESS, 0);
            } else {
                scratchpadMemory = null;
            }
            nargs = scratchpadMemory == null ? 3 : 4;
            args = arena.allocate(dnnl_exec_arg_t.layout(), nargs);
            setArg(0, dnnl_h.DNNL_ARG_SRC(), MemorySegment.NULL);
            setArg(1, dnnl_h.DNNL_ARG_WEIGHTS(), MemorySegment.NULL);
            setArg(2, dnnl_h.DNNL_ARG_DST(), MemorySegment.NULL);
            if (scratchpadMemory != null) setArg(3, dnnl_h.DNNL_ARG_SCRATCHPAD(), scratchpadMemory);
            if (!runtimeRows() && !runtimeTokens()) bind((int) m);
        }

        void run(long src, int count, long weights, long dst) {
            if (count != boundCount) {
                if (!runtimeRows() && !runtimeTokens()) {
                    throw new IllegalArgumentException(count + " rows for a primitive of M=" + m);
                }
                bind(count);
            }
            DataHandles.set(srcMemory, src);
            DataHandles.set(weightsMemory, weights);
            DataHandles.set(dstMemory, dst);
            int status = dnnl_h.dnnl_primitive_execute(primitive, stream, nargs, args);
            if (status != dnnl_h.dnnl_success()) check(status, "dnnl_primitive_execute(" + OneDnnMatmul.this + ")");
            status = dnnl_h.dnnl_stream_wait(stream);
            if (status != dnnl_h.dnnl_success()) check(status, "dnnl_stream_wait");
        }

        /** Points the arguments at the memory objects for {@code count} rows or tokens, creating them if new. */
        private void bind(int count) {
            if (count >= sizedDst.length) {
                int length = Math.max(count + 1, 2 * sizedDst.length);
                sizedSrc = java.util.Arrays.copyOf(sizedSrc, length);
                sizedWeights = java.util.Arrays.copyOf(sizedWeights, length);
                sizedDst = java.util.Arrays.copyOf(sizedDst, length);
            }
            if (sizedDst[count] == null) {
                sizedSrc[count] = fixedSrc != null ? fixedSrc : newMemory(srcMd(count));
                sizedWeights[count] = fixedWeights != null ? fixedWeights : newMemory(weightsMd(count));
                sizedDst[count] = newMemory(dstMd(count));
            }
            srcMemory = sizedSrc[count];
            weightsMemory = sizedWeights[count];
            dstMemory = sizedDst[count];
            setArg(0, dnnl_h.DNNL_ARG_SRC(), srcMemory);
            setArg(1, dnnl_h.DNNL_ARG_WEIGHTS(), weightsMemory);
            setArg(2, dnnl_h.DNNL_ARG_DST(), dstMemory);
            boundCount = count;
        }

        /** A memory object for {@code md} (destroyed here) with no data yet. */
        private MemorySegment newMemory(MemorySegment md) {
            try {
                check(dnnl_h.dnnl_memory_create(handleOut, md, dnnl.engine(), MemorySegment.NULL), "dnnl_memory_create");
                return handleOut.get(ValueLayout.ADDRESS, 0);
            } finally {
                destroyMd(md);
            }
        }

        /** Writes argument {@code index} in place: a slice per call (the binding's asSlice) would be heap garbage on every re-bind. */
        private void setArg(int index, int arg, MemorySegment memory) {
            long slot = index * dnnl_exec_arg_t.sizeof();
            args.set(dnnl_exec_arg_t.arg$layout(), slot + dnnl_exec_arg_t.arg$offset(), arg);
            args.set(dnnl_exec_arg_t.memory$layout(), slot + dnnl_exec_arg_t.memory$offset(), memory);
        }

        void destroy() {
            for (int c = 0; c < sizedDst.length; c++) {
                if (sizedSrc[c] != null && sizedSrc[c] != fixedSrc) dnnl_h.dnnl_memory_destroy(sizedSrc[c]);
                if (sizedWeights[c] != null && sizedWeights[c] != fixedWeights) dnnl_h.dnnl_memory_destroy(sizedWeights[c]);
                if (sizedDst[c] != null) dnnl_h.dnnl_memory_destroy(sizedDst[c]);
            }
            if (fixedSrc != null) dnnl_h.dnnl_memory_destroy(fixedSrc);
            if (fixedWeights != null) dnnl_h.dnnl_memory_destroy(fixedWeights);
            if (scratchpadMemory != null) dnnl_h.dnnl_memory_destroy(scratchpadMemory);
            dnnl_h.dnnl_stream_destroy(stream);
        }
    }
}
