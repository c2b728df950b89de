package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;
import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.GemvTask;
import io.moe4j.engine.backend.cpu.quant.QuantGemvTask;
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
 *   <li>F32 → oneDNN (it reaches the machine's read bandwidth at M = 1 and most of its FMA peak at large M), as
 *       blocks of output columns spread over our worker pool, one single-threaded oneDNN call per block, so the
 *       result does not depend on the thread count ({@link BlockedMatmul}). From 2 to 256 rows each block is
 *       computed swapped, {@code yᵀ = W · xᵀ}, so that oneDNN reads the weight block in place instead of
 *       repacking it on every call.
 *   <li>BF16 with M ≤ {@value #BF16_GEMV_MAX_ROWS}, F16 with M ≤ {@value #F16_GEMV_MAX_ROWS} → our GEMV, reading
 *       the 16-bit weights in place: oneDNN's 16-bit weight paths on AVX2 are several times slower than its f32
 *       one, while our kernel reads half the bytes ({@link #gemvMaxRows} says where the widened path overtakes it).
 *   <li>BF16/F16, larger M → the same blocks, each widened to F32 scratch right before its oneDNN call. The
 *       widening is not free, and it is only as fast as the C twin's (about 11 GB/s of BF16 per thread) because
 *       its stores go through long vectors ({@link io.moe4j.engine.backend.cpu.kernels.Elementwise} says why):
 *       with float stores it ran 2-2.6× slower inside a model than standalone.
 *   <li>Q8_0/Q4_0/Q4_K/Q5_K, M ≤ {@value #QUANT_GEMV_MAX_ROWS} → our quantized GEMV, reading the blocks in place
 *       ({@link io.moe4j.engine.backend.cpu.quant.QuantGemv}).
 *   <li>Block-quantized, larger M, and Q6_K at every M → the same column blocks as F32, each dequantized exactly into F32 scratch right
 *       before its oneDNN call.
 *   <li>Weights may also be a transposed view of a contiguous {@code [K, N]} (DBRX's w2, used untransposed):
 *       the same blocks with K-major strides; 16-bit ones are widened block by block at every M.
 * </ul>
 *
 * <p>Thread safety: any number of threads may call at once with different outputs. Per-thread state (GEMV
 * tasks, scratch, oneDNN streams and memory objects) is created on a thread's first call and freed by
 * {@link #close()}. The worker pool serves one call at a time; concurrent callers run their kernels on their own
 * thread (see {@link WorkerPool}). Operands must be readable from the pool's threads: tensors from a confined
 * arena are computed on the calling thread alone.
 */
public final class CpuBackend implements Backend {
    /** Largest M for which BF16 weights go through the GEMV kernel rather than widening + oneDNN. */
    public static final int BF16_GEMV_MAX_ROWS = 7;
    /** Largest M for which F16 weights go through the GEMV kernel (their conversion costs more than BF16's). */
    public static final int F16_GEMV_MAX_ROWS = 4;
    /**
     * Largest M for which Q8_0, Q4_0, Q4_K and Q5_K weights go through the quantized GEMV rather than dequantizing +
     * oneDNN (Q6_K never does by default: {@link #quantPath}).
     */
    public static final int QUANT_GEMV_MAX_ROWS = 3;

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

    /**
     * The oneDNN implementation that serves an F32 matmul of this shape, e.g. {@code brg_matmul:avx2}, or
     * {@code gemm:jit:f32 (swapped: yᵀ = W·xᵀ)} for the row counts {@link BlockedMatmul} computes swapped.
     */
    public String matmulImplementation(int m, long n, long k) {
        int cols = BlockedMatmul.blockColumns(n, k);
        if (BlockedMatmul.swaps(m)) return primitives.swapped(cols, k, k, 1).implementation() + " (swapped: yᵀ = W·xᵀ)";
        return primitives.get(m, cols, k, k, n, dnnl_h.dnnl_f32(), 1, k).implementation();
    }

    /**
     * Which path {@link #matmul} takes for {@code [N, K]} weights of {@code wType} (row-major) and M rows, e.g.
     * {@code "Q4_K GEMV (Vector API)"} or {@code "Q4_K dequantized per column block + oneDNN brg_matmul:avx2"}.
     */
    public String matmulImplementation(DType wType, int m, long n, long k) {
        if (wType == DType.F32) return "oneDNN " + matmulImplementation(m, n, k);
        if (wType.isBlockQuantized()) {
            return switch (quantPath(wType, m)) {
                case GEMV -> wType + " GEMV (Vector API)";
                case INT8_DOT -> wType + " x int8-quantized activations, integer dot products (Vector API)";
                case DEQUANTIZED_ONEDNN -> wType + " dequantized per column block + oneDNN " + matmulImplementation(m, n, k);
            };
        }
        if (m <= gemvMaxRows(wType)) return wType + " GEMV (Vector API)";
        return wType + " widened per column block + oneDNN " + matmulImplementation(m, n, k);
    }

    /** oneDNN primitives created so far (one per distinct shape and M bucket). */
    int primitiveCount() { return primitives.size(); }

    @Override
    public void matmul(Tensor x, Tensor w, Tensor y) {
        checkOpen();
        MatmulShape.check(x, w, y);
        int m = (int) x.dim(0);
        if (m == 0 || w.dim(0) == 0) return;
        if (w.dtype().isBlockQuantized()) {
            quantized(x, w, y, quantPath(w.dtype(), m));
            return;
        }
        boolean kMajor = MatmulShape.isKMajor(w);
        if (m <= gemvMaxRows(w.dtype()) && !kMajor) {
            gemv(x, w, y);
            return;
        }
        blocked(x, w, y, kMajor);
    }

    /**
     * The largest M for which {@link #matmul} takes our GEMV for row-major {@code wType} weights (0: never); for
     * block-quantized types {@link #quantPath} gives the measurements.
     *
     * <p>The GEMV reads the weights once whatever M, but its arithmetic grows with M (one pass per tile of up to 4
     * rows of x), while widening + oneDNN pays a conversion pass and then runs near the FMA peak. Measured on the
     * 2-core AVX2 machine, 2 threads, ms per product, GEMV / widened oneDNN, medians of 6: BF16 7168×2048 M = 7:
     * 3.4-3.5 / 3.5-4.0, M = 8: 3.8-4.4 / 3.2-3.3; 2048×7168 M = 8: 3.57 / 3.06; 14336×4096 M = 7: 12.2 / 12.5,
     * M = 8: 13.0 / 11.3. F16 7168×2048 M = 4: 2.6 / 3.6, M = 5: 4.3-4.5 / 3.9-4.0, M = 6: 4.5 / 3.4.
     */
    public static int gemvMaxRows(DType wType) {
        return switch (wType) {
            case BF16 -> BF16_GEMV_MAX_ROWS;
            case F16 -> F16_GEMV_MAX_ROWS;
            case Q8_0, Q4_0, Q4_K, Q5_K -> QUANT_GEMV_MAX_ROWS;
            default -> 0; // F32 (oneDNN reaches the read bandwidth at M = 1) and Q6_K (see quantPath)
        };
    }

    /**
     * {@link #matmul} with block-quantized weights through the given path rather than the one chosen by M.
     *
     * @throws IllegalArgumentException on bad operands, weights that are not block-quantized, or
     *         {@link QuantPath#INT8_DOT} with weights other than Q8_0 and Q4_0
     */
    public void matmul(Tensor x, Tensor w, Tensor y, QuantPath path) {
        checkOpen();
        MatmulShape.check(x, w, y);
        if (!w.dtype().isBlockQuantized()) throw new IllegalArgumentException("matmul path " + path + " needs block-quantized weights, got " + w);
        if (x.dim(0) == 0 || w.dim(0) == 0) return;
        quantized(x, w, y, path);
    }

    /**
     * The path {@link #matmul} takes for M rows of x and block-quantized weights of {@code wType}: the GEMV up to
     * {@value #QUANT_GEMV_MAX_ROWS} rows (Q6_K: never), dequantized blocks + oneDNN above.
     *
     * <p>Measured on the 2-core AVX2 machine (2 threads, N = 7168, K = 2048, weights far larger than the caches;
     * ms per product, GEMV / DEQUANTIZED_ONEDNN): Q8_0 M = 2: 1.95 / 2.76, M = 3: 2.52 / 2.78, M = 4: 2.69 / 2.64,
     * M = 8: 4.56 / 2.64; Q4_0 M = 2: 1.99 / 2.63, M = 3: 2.43 / 2.61, M = 4: 2.64 / 2.62; Q4_K M = 1: 1.44 / 2.50,
     * M = 3: 3.75 / 3.93, M = 4: 3.93 / 3.90; Q5_K M = 1: 3.41 / 3.32, M = 2: 3.92 / 4.56, M = 3: 4.34 / 4.62; Q6_K
     * M = 1: 3.78-4.16 / 3.26-3.27, M = 3: 5.73 / 4.64. Q6_K has no fused M = 1 kernel and its bit unpacking is the
     * cost, which oneDNN's block-wise path pays once per column block instead of once per group of 4 rows. (Before
     * the dequantization stores were fixed, {@link io.moe4j.engine.backend.cpu.kernels.Elementwise}, oneDNN only
     * overtook the GEMV between 8 and 16 rows.)
     *
     * <p>{@link QuantPath#INT8_DOT} (Q8_0 and Q4_0) is faster than the GEMV at M = 2..8 (Q8_0 M = 4: 1.77 ms) but
     * rounds x to 8 bits (an error of up to half an 8-bit step per element, where every other path is exact up to
     * float32 summation), so it is not chosen by default; callers that accept ggml's accuracy can ask for it.
     */
    public static QuantPath quantPath(DType wType, int m) {
        return m <= gemvMaxRows(wType) ? QuantPath.GEMV : QuantPath.DEQUANTIZED_ONEDNN;
    }

    private void quantized(Tensor x, Tensor w, Tensor y, QuantPath path) {
        if (path == QuantPath.DEQUANTIZED_ONEDNN) {
            blocked(x, w, y, false);
            return;
        }
        QuantGemvTask task = state().quantGemv.set(x, w, y);
        if (path == QuantPath.INT8_DOT) task.int8Activations();
        if (sharedWithPool(x, w, y)) {
            task.execute(pool);
        } else {
            int chunks = task.chunks(1);
            for (int c = 0; c < chunks; c++) task.run(c);
        }
    }

    /** The product as column blocks through oneDNN f32 ({@link BlockedMatmul}), non-F32 weights widened per block. */
    private void blocked(Tensor x, Tensor w, Tensor y, boolean kMajor) {
        int m = (int) x.dim(0), n = (int) w.dim(0), k = (int) w.dim(1);
        long xAddress = DataHandles.address(x.segment(), 0, 4 * ((m - 1) * x.stride(0) + k));
        long yAddress = DataHandles.address(y.segment(), 0, 4 * ((m - 1) * y.stride(0) + n));
        DataHandles.address(w.segment(), 0, w.byteSize());
        BlockedMatmul task = state().blocked;
        int blocks = task.set(x.segment(), xAddress, m, x.stride(0), w.dtype(), w.segment(), kMajor, n, k,
                y.segment(), yAddress, y.stride(0));
        try {
            if (sharedWithPool(x, w, y)) pool.run(task, blocks);
            else for (int b = 0; b < blocks; b++) task.run(b);
        } finally {
            task.clear();
        }
    }

    /** Makes oneDNN calls from the current thread single-threaded (our pool supplies the parallelism). */
    void singleThreadedOneDnn() {
        dnnl.openMp().setNumThreads(1);
    }

    /** The current thread's F32 scratch for one widened weight block. */
    MemorySegment widenScratch(long bytes) {
        return state().widened(bytes);
    }

    /** The current thread's scratch for xᵀ in {@link BlockedMatmul}'s swapped form (read by the pool's threads). */
    MemorySegment transposedXScratch(long bytes) {
        return state().transposedX(bytes);
    }

    /** The current thread's scratch for one block of yᵀ in {@link BlockedMatmul}'s swapped form. */
    MemorySegment transposedYScratch(long bytes) {
        return state().transposedY(bytes);
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

    /** Whether the pool's threads may read all three operands (a varargs form would allocate an array per call). */
    private static boolean sharedWithPool(Tensor x, Tensor w, Tensor y) {
        return x.segment().isAccessibleBy(OTHER_THREAD) && w.segment().isAccessibleBy(OTHER_THREAD)
                && y.segment().isAccessibleBy(OTHER_THREAD);
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
            s = new PerThread(new BlockedMatmul(this, primitives));
            perThread.set(s);
            allPerThread.add(s);
        }
        return s;
    }

    /** What one calling thread reuses across calls. */
    private static final class PerThread {
        final GemvTask gemv = new GemvTask();
        final QuantGemvTask quantGemv = new QuantGemvTask();
        final BlockedMatmul blocked;
        private final Arena arena = Arena.ofShared();
        private MemorySegment widened = MemorySegment.NULL;
        private MemorySegment transposedX = MemorySegment.NULL;
        private MemorySegment transposedY = MemorySegment.NULL;

        PerThread(BlockedMatmul blocked) {
            this.blocked = blocked;
        }

        /** F32 copy of one block of weight rows. */
        MemorySegment widened(long bytes) {
            if (widened.byteSize() < bytes) widened = arena.allocate(bytes, 64);
            return widened;
        }

        MemorySegment transposedX(long bytes) {
            if (transposedX.byteSize() < bytes) transposedX = arena.allocate(bytes, 64);
            return transposedX;
        }

        MemorySegment transposedY(long bytes) {
            if (transposedY.byteSize() < bytes) transposedY = arena.allocate(bytes, 64);
            return transposedY;
        }

        void close() {
            arena.close();
        }
    }
}
