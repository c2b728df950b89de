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
 * One oneDNN matmul primitive, {@code dst[M, N] = src[M, K] · W[K, N]}, where W's memory is the Hugging Face
 * {@code [N, K]} row-major layout (oneDNN tag {@code ba}) or K-major {@code [K, N]} (DBRX's untransposed w2). Rows of src and dst may be strided ({@code ldSrc},
 * {@code ldDst} in elements), which lets a caller write a block of output columns into a wider matrix.
 *
 * <p>{@code m} is either a fixed row count or {@link #RUNTIME_M}: then one primitive serves every M, and the
 * per-thread memory objects are re-described only when M changes.
 *
 * <p>Primitives are immutable and may run on many threads at once; everything mutable — the stream, memory
 * objects holding data pointers, the scratchpad — lives in a per-thread {@link Execution}.
 */
final class OneDnnMatmul implements AutoCloseable {
    static final int RUNTIME_M = -1;

    final int m;
    final long n;
    final long k;
    final long ldSrc;
    final long ldDst;
    final int weightType;
    final long wStrideK;
    final long wStrideN;

    private final OneDnn dnnl;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment primitive;
    private final MemorySegment weightsMd;
    private final MemorySegment scratchpadMd;
    private final long scratchpadBytes;
    private final String implementation;
    private final ThreadLocal<Execution> executions = new ThreadLocal<>();
    private final Queue<Execution> allExecutions = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /**
     * @param wStrideK distance in elements between W[k, n] and W[k + 1, n]: 1 for the Hugging Face {@code [N, K]}
     *                 layout, the row length for a {@code [K, N]} (K-major) layout
     * @param wStrideN distance between W[k, n] and W[k, n + 1]: K for {@code [N, K]}, 1 for K-major
     */
    OneDnnMatmul(OneDnn dnnl, int m, long n, long k, long ldSrc, long ldDst, int weightType, long wStrideK, long wStrideN) {
        this.dnnl = dnnl;
        this.m = m;
        this.n = n;
        this.k = k;
        this.ldSrc = ldSrc;
        this.ldDst = ldDst;
        this.weightType = weightType;
        this.wStrideK = wStrideK;
        this.wStrideN = wStrideN;
        long rows = m == RUNTIME_M ? dnnl_h.DNNL_RUNTIME_DIM_VAL() : m;
        MemorySegment srcMd = describe(rows, k, ldSrc, 1, dnnl_h.dnnl_f32());
        MemorySegment dstMd = describe(rows, n, ldDst, 1, dnnl_h.dnnl_f32());
        this.weightsMd = describe(k, n, wStrideK, wStrideN, weightType);
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
        }
    }

    /** oneDNN's name for the implementation it chose, e.g. {@code brg_matmul:avx2}. */
    String implementation() { return implementation; }

    /**
     * Runs the product for {@code rows} rows (must equal {@link #m} unless it is runtime) on the calling thread's
     * execution state. Arguments are raw addresses the caller has checked ({@link DataHandles#address}).
     */
    void execute(long src, int rows, long weights, long dst) {
        if (closed) throw new IllegalStateException("the backend is closed");
        Execution e = executions.get();
        if (e == null) e = newExecution();
        e.run(src, rows, weights, dst);
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
        destroyMd(weightsMd);
        if (scratchpadMd != null) destroyMd(scratchpadMd);
        arena.close();
    }

    @Override
    public String toString() {
        return "matmul M=" + (m == RUNTIME_M ? "runtime" : m) + " N=" + n + " K=" + k + " ldSrc=" + ldSrc
                + " ldDst=" + ldDst + " weights=" + weightType + " strides=(" + wStrideK + ", " + wStrideN + ")";
    }

    private MemorySegment describe(long d0, long d1, long s0, long s1, int dataType) {
        try (Arena call = Arena.ofConfined()) {
            MemorySegment out = call.allocate(ValueLayout.ADDRESS);
            MemorySegment dims = call.allocateFrom(ValueLayout.JAVA_LONG, d0, d1);
            MemorySegment strides = call.allocateFrom(ValueLayout.JAVA_LONG, s0, s1);
            check(dnnl_h.dnnl_memory_desc_create_with_strides(out, 2, dims, dataType, strides),
                    "dnnl_memory_desc_create_with_strides");
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    private static void destroyMd(MemorySegment md) {
        if (md != null) dnnl_h.dnnl_memory_desc_destroy(md);
    }

    /** The mutable half of a matmul, owned by one thread: stream, memory objects, scratchpad, argument list. */
    private final class Execution {
        private final MemorySegment stream;
        private final MemorySegment weightsMemory;
        private final MemorySegment scratchpadMemory;
        private final MemorySegment args;
        private final MemorySegment handleOut;
        private final int nargs;
        private MemorySegment srcMemory;
        private MemorySegment dstMemory;
        private MemorySegment[] rowSrc = new MemorySegment[2];
        private MemorySegment[] rowDst = new MemorySegment[2];
        private int boundRows = -1;

        Execution() {
            handleOut = arena.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_stream_create(handleOut, dnnl.engine(), dnnl_h.dnnl_stream_default_flags()),
                    "dnnl_stream_create");
            stream = handleOut.get(ValueLayout.ADDRESS, 0);
            weightsMemory = newMemory(weightsMd, MemorySegment.NULL);
            if (scratchpadMd != null) {
                MemorySegment buffer = arena.allocate(scratchpadBytes, 64);
                scratchpadMemory = newMemory(scratchpadMd, buffer);
            } else {
                scratchpadMemory = null;
            }
            nargs = scratchpadMemory == null ? 3 : 4;
            args = arena.allocate(dnnl_exec_arg_t.layout(), nargs);
            setArg(0, dnnl_h.DNNL_ARG_SRC(), MemorySegment.NULL);
            setArg(1, dnnl_h.DNNL_ARG_WEIGHTS(), weightsMemory);
            setArg(2, dnnl_h.DNNL_ARG_DST(), MemorySegment.NULL);
            if (scratchpadMemory != null) setArg(3, dnnl_h.DNNL_ARG_SCRATCHPAD(), scratchpadMemory);
            if (m != RUNTIME_M) bind(m);
        }

        void run(long src, int rows, long weights, long dst) {
            if (rows != boundRows) {
                if (m != RUNTIME_M) throw new IllegalArgumentException(rows + " rows for a primitive of M=" + m);
                bind(rows);
            }
            DataHandles.set(srcMemory, src);
            DataHandles.set(weightsMemory, weights);
            DataHandles.set(dstMemory, dst);
            int status = dnnl_h.dnnl_primitive_execute(primitive, stream, nargs, args);
            if (status != dnnl_h.dnnl_success()) check(status, "dnnl_primitive_execute(" + OneDnnMatmul.this + ")");
            status = dnnl_h.dnnl_stream_wait(stream);
            if (status != dnnl_h.dnnl_success()) check(status, "dnnl_stream_wait");
        }

        /**
         * Points the arguments at the src and dst memory objects for {@code rows} rows, creating them the first
         * time this row count is seen: experts see ever-changing row counts, and re-creating memory objects per
         * call would allocate.
         */
        private void bind(int rows) {
            if (rows >= rowSrc.length) {
                rowSrc = java.util.Arrays.copyOf(rowSrc, Math.max(rows + 1, 2 * rowSrc.length));
                rowDst = java.util.Arrays.copyOf(rowDst, rowSrc.length);
            }
            if (rowSrc[rows] == null) {
                MemorySegment srcMd = describe(rows, k, ldSrc, 1, dnnl_h.dnnl_f32());
                MemorySegment dstMd = describe(rows, n, ldDst, 1, dnnl_h.dnnl_f32());
                try {
                    rowSrc[rows] = newMemory(srcMd, MemorySegment.NULL);
                    rowDst[rows] = newMemory(dstMd, MemorySegment.NULL);
                } finally {
                    destroyMd(srcMd);
                    destroyMd(dstMd);
                }
            }
            srcMemory = rowSrc[rows];
            dstMemory = rowDst[rows];
            setArg(0, dnnl_h.DNNL_ARG_SRC(), srcMemory);
            setArg(2, dnnl_h.DNNL_ARG_DST(), dstMemory);
            boundRows = rows;
        }

        private MemorySegment newMemory(MemorySegment md, MemorySegment handle) {
            check(dnnl_h.dnnl_memory_create(handleOut, md, dnnl.engine(), handle), "dnnl_memory_create");
            return handleOut.get(ValueLayout.ADDRESS, 0);
        }

        /** Writes argument {@code index} in place: a slice per call (the binding's asSlice) would be heap garbage on every re-bind. */
        private void setArg(int index, int arg, MemorySegment memory) {
            long slot = index * dnnl_exec_arg_t.sizeof();
            args.set(dnnl_exec_arg_t.arg$layout(), slot + dnnl_exec_arg_t.arg$offset(), arg);
            args.set(dnnl_exec_arg_t.memory$layout(), slot + dnnl_exec_arg_t.memory$offset(), memory);
        }

        void destroy() {
            for (MemorySegment mem : rowSrc) if (mem != null) dnnl_h.dnnl_memory_destroy(mem);
            for (MemorySegment mem : rowDst) if (mem != null) dnnl_h.dnnl_memory_destroy(mem);
            dnnl_h.dnnl_memory_destroy(weightsMemory);
            if (scratchpadMemory != null) dnnl_h.dnnl_memory_destroy(scratchpadMemory);
            dnnl_h.dnnl_stream_destroy(stream);
        }
    }
}
