package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;
import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.GemvTask;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The CPU backend: oneDNN for F32 matrix products, Vector API kernels for 16-bit weights and element-wise ops.
 *
 * <p>Matmul paths by weight type and rows M:
 * <ul>
 *   <li>F32 → oneDNN (it reaches the machine's read bandwidth at M = 1 and most of its FMA peak at large M).
 *   <li>BF16/F16, M ≤ {@value #GEMV_MAX_ROWS} → our GEMV, reading the 16-bit weights in place: oneDNN's 16-bit
 *       weight paths on AVX2 are several times slower than its f32 one, while our kernel reads half the bytes.
 *   <li>BF16/F16, larger M → blocks of weight rows widened to F32 scratch, each multiplied by oneDNN f32 into
 *       its columns of y: compute-bound, so the widening is a small fraction of the time.
 * </ul>
 *
 * <p>Thread safety: any number of threads may call at once with different outputs. Per-thread state (GEMV
 * tasks, scratch, oneDNN streams and memory objects) is created on a thread's first call and freed by
 * {@link #close()}. The worker pool serves one call at a time; concurrent callers run their kernels on their own
 * thread (see {@link WorkerPool}). Operands must be readable from the pool's threads: tensors from a confined
 * arena are computed on the calling thread alone.
 */
public final class CpuBackend implements Backend {
    /** Largest M for which 16-bit weights go through the GEMV kernel rather than widening + oneDNN. */
    public static final int GEMV_MAX_ROWS = 8;
    /** Bytes of F32 scratch per widened weight block: fits L2-L3 while oneDNN multiplies it. */
    static final long WIDEN_BLOCK_BYTES = 4L << 20;

    /** A thread that is never started: a segment it may access is not confined to its creator. */
    private static final Thread OTHER_THREAD = Thread.ofPlatform().unstarted(() -> { });

    private final int threads;
    private final OneDnn dnnl;
    private final MatmulPrimitives primitives;
    private final WorkerPool pool;
    private final Ops ops;
    private final ThreadLocal<PerThread> perThread = new ThreadLocal<>();
    private final Queue<PerThread> allPerThread = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private CpuBackend(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        this.threads = threads;
        this.dnnl = new OneDnn();
        this.primitives = new MatmulPrimitives(dnnl);
        this.pool = new WorkerPool(threads);
        this.ops = new Ops();
    }

    /** A backend with {@code threads} threads for our kernels and for oneDNN's OpenMP regions. */
    public static CpuBackend create(int threads) {
        return new CpuBackend(threads);
    }

    /** A backend with the configured thread count ({@link #defaultThreads()}). */
    public static CpuBackend create() {
        return new CpuBackend(defaultThreads());
    }

    /** {@code -Dmoe4j.threads}, else the environment variable {@code MOE4J_THREADS}, else every core. */
    public static int defaultThreads() {
        String v = System.getProperty("moe4j.threads");
        if (v == null || v.isBlank()) v = System.getenv("MOE4J_THREADS");
        if (v == null || v.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("moe4j.threads / MOE4J_THREADS must be a positive integer, got '" + v + "'");
    }

    public int threads() { return threads; }

    public OneDnn oneDnn() { return dnnl; }

    @Override
    public String name() {
        return "cpu (oneDNN " + dnnl.version().split(" ")[0] + ", " + dnnl.effectiveIsa() + ", " + threads + " threads)";
    }

    /** The oneDNN implementation that serves an F32 matmul of this shape, e.g. {@code brg_matmul:avx2}. */
    public String matmulImplementation(int m, long n, long k) {
        return primitives.get(m, n, k, k, n, dnnl_h.dnnl_f32()).implementation();
    }

    /** oneDNN primitives created so far (one per distinct shape and M bucket). */
    int primitiveCount() { return primitives.size(); }

    @Override
    public void matmul(Tensor x, Tensor w, Tensor y) {
        checkOpen();
        MatmulShape.check(x, w, y);
        int m = (int) x.dim(0);
        int n = (int) w.dim(0);
        int k = (int) w.dim(1);
        if (m == 0 || n == 0) return;
        switch (w.dtype()) {
            case F32 -> oneDnnMatmul(x.segment(), m, x.stride(0), w.segment(), n, k, dnnl_h.dnnl_f32(), y.segment(), y.stride(0));
            case BF16, F16 -> {
                if (m <= GEMV_MAX_ROWS) gemv(x, w, y);
                else widenedMatmul(x, w, y, m, n, k);
            }
            default -> throw new IllegalArgumentException("matmul weights of type " + w.dtype() + " are not supported");
        }
    }

    private void oneDnnMatmul(MemorySegment x, int m, long ldx, MemorySegment w, long n, long k, int wType,
                              MemorySegment y, long ldy) {
        dnnl.openMp().setNumThreads(threads);
        primitives.get(m, n, k, ldx, ldy, wType).execute(x, m, w, y);
    }

    private void gemv(Tensor x, Tensor w, Tensor y) {
        GemvTask task = state().gemv.set(x, w, y);
        if (sharedWithPool(x, w, y)) {
            task.execute(pool);
        } else {
            int chunks = task.chunks(1);
            for (int c = 0; c < chunks; c++) task.run(c);
        }
    }

    private void widenedMatmul(Tensor x, Tensor w, Tensor y, int m, int n, int k) {
        PerThread s = state();
        long blockRows = Math.max(1, Math.min(n, WIDEN_BLOCK_BYTES / (4L * k)));
        MemorySegment widened = s.widened(blockRows * k * 4);
        // Each block's product goes to contiguous scratch and is copied into its columns of y: slicing y per block
        // would create a segment object per block on every call.
        MemorySegment product = s.product((long) m * blockRows * 4);
        boolean parallel = sharedWithPool(w);
        long ldy = 4 * y.stride(0);
        for (long r0 = 0; r0 < n; r0 += blockRows) {
            int rows = (int) Math.min(blockRows, n - r0);
            int chunks = s.widen.set(w.dtype(), w.segment(), r0 * k * 2, widened, k, rows);
            if (parallel) pool.run(s.widen, chunks);
            else for (int c = 0; c < chunks; c++) s.widen.run(c);
            oneDnnMatmul(x.segment(), m, x.stride(0), widened, rows, k, dnnl_h.dnnl_f32(), product, rows);
            for (int i = 0; i < m; i++) {
                MemorySegment.copy(product, (long) i * rows * 4, y.segment(), i * ldy + r0 * 4, rows * 4L);
            }
        }
        s.widen.clear();
    }

    private boolean sharedWithPool(Tensor... tensors) {
        for (Tensor t : tensors) {
            if (!t.segment().isAccessibleBy(OTHER_THREAD)) return false;
        }
        return true;
    }

    @Override public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) { checkOpen(); ops.rmsNorm(x, weight, eps, out); }
    @Override public void layerNorm(Tensor x, Tensor weight, float eps, Tensor out) { checkOpen(); ops.layerNorm(x, weight, eps, out); }
    @Override public void silu(Tensor x, Tensor out) { checkOpen(); ops.silu(x, out); }
    @Override public void siluMul(Tensor gate, Tensor up, Tensor out) { checkOpen(); ops.siluMul(gate, up, out); }
    @Override public void gelu(Tensor x, Tensor out) { checkOpen(); ops.gelu(x, out); }
    @Override public void relu(Tensor x, Tensor out) { checkOpen(); ops.relu(x, out); }
    @Override public void softmax(Tensor x, Tensor out) { checkOpen(); ops.softmax(x, out); }
    @Override public void topK(Tensor scores, int k, Tensor indices, Tensor values) { checkOpen(); ops.topK(scores, k, indices, values); }
    @Override public void rope(Tensor x, Tensor positions, float theta) { checkOpen(); ops.rope(x, positions, theta); }
    @Override public void add(Tensor a, Tensor b, Tensor out) { checkOpen(); ops.add(a, b, out); }
    @Override public void scale(Tensor x, float s, Tensor out) { checkOpen(); ops.scale(x, s, out); }

    @Override
    public void synchronize() {
        // Every CPU call completes before it returns.
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.close();
        primitives.close();
        for (PerThread s : allPerThread) s.close();
        dnnl.close();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the CPU backend is closed");
    }

    private PerThread state() {
        PerThread s = perThread.get();
        if (s == null) {
            s = new PerThread();
            perThread.set(s);
            allPerThread.add(s);
        }
        return s;
    }

    /** What one calling thread reuses across calls. */
    private static final class PerThread {
        final GemvTask gemv = new GemvTask();
        final WidenTask widen = new WidenTask();
        private final Arena arena = Arena.ofShared();
        private MemorySegment widened = MemorySegment.NULL;
        private MemorySegment product = MemorySegment.NULL;

        /** F32 copy of one block of weight rows. */
        MemorySegment widened(long bytes) {
            if (widened.byteSize() < bytes) widened = arena.allocate(bytes, 64);
            return widened;
        }

        /** The product of x with one widened block. */
        MemorySegment product(long bytes) {
            if (product.byteSize() < bytes) product = arena.allocate(bytes, 64);
            return product;
        }

        void close() {
            arena.close();
        }
    }
}
