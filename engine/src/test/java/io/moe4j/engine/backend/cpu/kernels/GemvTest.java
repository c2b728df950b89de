package io.moe4j.engine.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.tensor.BFloat16;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GEMV against a double-precision reference. Tolerance: {@code |y − ref| ≤ 1e-5 · Σ_k |x[m,k]·w[n,k]|}. The 16-bit
 * weights are converted exactly, so this only bounds the float32 accumulation error: each lane sums K/8 terms
 * (1792 for K = 14336), a worst case of ~1e-4 but a typical random-walk error of ~3e-6.
 */
class GemvTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final double TOLERANCE = 1e-5;
    private static final int[] MS = {1, 2, 3, 5, 8};
    private static final int[][] SHAPES = {{1, 1}, {7, 3}, {64, 64}, {100, 37}, {4096, 256}, {14336, 64}}; // (K, N)

    private static WorkerPool pool;

    @BeforeAll
    static void startPool() {
        pool = new WorkerPool(2);
    }

    @AfterAll
    static void stopPool() {
        pool.close();
    }

    /** A GEMV problem in native memory, at odd offsets and with padded row strides. */
    private static final class Problem {
        final DType wType;
        final int m, n, k;
        final long xOff, wOff, yOff, xStride, yStride;
        final MemorySegment x, w, y;

        Problem(Arena arena, DType wType, int m, int n, int k, long seed) {
            this.wType = wType;
            this.m = m;
            this.n = n;
            this.k = k;
            SplittableRandom rnd = new SplittableRandom(seed);
            xOff = 4L * rnd.nextInt(3) + (rnd.nextBoolean() ? 2 : 0); // sometimes not float-aligned
            wOff = 2L * rnd.nextInt(5);
            yOff = 4L * rnd.nextInt(3) + (rnd.nextBoolean() ? 2 : 0);
            xStride = k + rnd.nextInt(4);
            yStride = n + rnd.nextInt(4);
            x = arena.allocate(xOff + 4L * ((m - 1) * xStride + k));
            w = arena.allocate(wOff + (long) n * k * wType.blockBytes());
            y = arena.allocate(yOff + 4L * ((m - 1) * yStride + n));
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < k; j++) x.set(F, xOff + 4L * (i * xStride + j), (float) rnd.nextDouble(-1, 1));
            }
            for (long e = 0; e < (long) n * k; e++) setWeight(w, wOff, wType, e, (float) rnd.nextDouble(-1, 1));
            y.fill((byte) 0x7f); // NaN-ish garbage: every output must be written
        }

        float x(int i, int j) { return x.get(F, xOff + 4L * (i * xStride + j)); }

        float w(int row, int j) { return weight(w, wOff, wType, (long) row * k + j); }

        float y(int i, int row) { return y.get(F, yOff + 4L * (i * yStride + row)); }

        float[] yRows() {
            float[] out = new float[m * n];
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) out[i * n + j] = y(i, j);
            return out;
        }

        void gemv(int nStart, int nEnd) {
            Gemv.gemv(wType, x, xOff, m, xStride, w, wOff, n, k, y, yOff, yStride, nStart, nEnd);
        }

        void gemv(GemvTask task) {
            task.set(wType, x, xOff, m, xStride, w, wOff, n, k, y, yOff, yStride).execute(pool);
        }

        void check(int nStart, int nEnd) {
            for (int i = 0; i < m; i++) {
                for (int row = nStart; row < nEnd; row++) {
                    double ref = 0, mag = 0;
                    for (int j = 0; j < k; j++) {
                        double p = (double) x(i, j) * w(row, j);
                        ref += p;
                        mag += Math.abs(p);
                    }
                    double err = Math.abs(y(i, row) - ref);
                    if (!(err <= TOLERANCE * mag)) {
                        fail(wType + " M=" + m + " N=" + n + " K=" + k + " y[" + i + "," + row + "] = " + y(i, row)
                                + ", expected " + ref + " (error " + err + ", Σ|xw| " + mag + ")");
                    }
                }
            }
        }
    }

    static void setWeight(MemorySegment w, long off, DType t, long e, float v) {
        switch (t) {
            case F32 -> w.set(F, off + 4 * e, v);
            case F16 -> w.set(S, off + 2 * e, Float.floatToFloat16(v));
            case BF16 -> w.set(S, off + 2 * e, BFloat16.fromFloat(v));
            default -> throw new AssertionError(t);
        }
    }

    static float weight(MemorySegment w, long off, DType t, long e) {
        return switch (t) {
            case F32 -> w.get(F, off + 4 * e);
            case F16 -> Float.float16ToFloat(w.get(S, off + 2 * e));
            case BF16 -> BFloat16.toFloat(w.get(S, off + 2 * e));
            default -> throw new AssertionError(t);
        };
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32"})
    void matchesTheReferenceForAllShapes(DType wType) {
        GemvTask task = new GemvTask();
        long seed = 1;
        for (int[] shape : SHAPES) {
            for (int m : MS) {
                try (Arena arena = Arena.ofShared()) {
                    Problem p = new Problem(arena, wType, m, shape[1], shape[0], seed++);
                    p.gemv(0, p.n);
                    p.check(0, p.n);
                    float[] single = p.yRows();
                    p.y.fill((byte) 0x7f);
                    p.gemv(task); // through the task (split over the pool when large enough): same bits
                    assertArrayEquals(single, p.yRows(), wType + " M=" + m + " K=" + p.k + " N=" + p.n);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32"})
    void rowRangesWriteOnlyTheirRowsAndSplitsDoNotChangeBits(DType wType) {
        try (Arena arena = Arena.ofShared()) {
            Problem p = new Problem(arena, wType, 3, 45, 203, 99);
            p.gemv(0, p.n);
            float[] whole = p.yRows();
            p.y.fill((byte) 0);
            p.gemv(5, 18);
            for (int i = 0; i < p.m; i++) {
                for (int row = 0; row < p.n; row++) {
                    if (row >= 5 && row < 18) assertEquals(whole[i * p.n + row], p.y(i, row));
                    else assertEquals(0f, p.y(i, row));
                }
            }
            // every split point, including ones that break the 4-row groups
            for (int cut = 0; cut <= p.n; cut++) {
                p.y.fill((byte) 0x7f);
                p.gemv(0, cut);
                p.gemv(cut, p.n);
                assertArrayEquals(whole, p.yRows(), "cut at " + cut);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32"})
    void eachRowOfXGivesTheSameBitsAsAlone(DType wType) {
        try (Arena arena = Arena.ofShared()) {
            Problem p = new Problem(arena, wType, 11, 37, 301, 7); // x tiles of 4, 4 and 3
            p.gemv(0, p.n);
            MemorySegment y1 = arena.allocate(4L * p.n);
            for (int i = 0; i < p.m; i++) {
                Gemv.gemv(wType, p.x, p.xOff + 4L * i * p.xStride, 1, p.k, p.w, p.wOff, p.n, p.k, y1, 0, p.n, 0, p.n);
                for (int row = 0; row < p.n; row++) assertEquals(p.y(i, row), y1.get(F, 4L * row), "m=" + i + " n=" + row);
            }
        }
    }

    /**
     * Every 16-bit pattern as a weight: a row of K equal weights against x = 1 gives exactly K·w (K = 8, 16, 24:
     * vector steps and scalar tails, of both 8- and 16-element groups), infinities and NaNs included.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void everyHalfPrecisionPatternConvertsExactly(DType wType) {
        for (int k : new int[] {8, 16, 24}) {
            for (int m : new int[] {1, 2, 4}) {
                try (Arena arena = Arena.ofShared()) {
                    int n = 65536;
                    MemorySegment w = arena.allocate(2L * n * k);
                    for (int row = 0; row < n; row++) {
                        for (int j = 0; j < k; j++) w.set(S, 2L * ((long) row * k + j), (short) row);
                    }
                    MemorySegment x = arena.allocate(4L * m * k);
                    for (int j = 0; j < m * k; j++) x.set(F, 4L * j, 1f);
                    MemorySegment y = arena.allocate(4L * m * n);
                    Gemv.gemv(wType, x, 0, m, k, w, 0, n, k, y, 0, n, 0, n);
                    for (int i = 0; i < m; i++) {
                        for (int row = 0; row < n; row++) {
                            float v = wType == DType.F16 ? Float.float16ToFloat((short) row) : BFloat16.toFloat((short) row);
                            float expected = v * k;
                            float got = y.get(F, 4L * ((long) i * n + row));
                            if (Float.isNaN(expected)) {
                                assertTrue(Float.isNaN(got), wType + " pattern " + Integer.toHexString(row));
                            } else {
                                assertTrue(expected == got, wType + " pattern " + Integer.toHexString(row) + " K=" + k
                                        + ": " + got + " instead of " + expected); // -0 sums to +0
                            }
                        }
                    }
                }
            }
        }
    }

    /** A Mixtral expert projection (K=4096, N=14336, BF16, 117 MB): correct, and the same bits on 1 and 2 threads. */
    @Test
    void mixtralExpertShapeIsCorrectAndThreadCountIndependent() {
        int k = 4096, n = 14336;
        try (Arena arena = Arena.ofShared(); WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
            Tensor x = Tensor.allocate(arena, DType.F32, 1, k);
            Tensor w = Tensor.allocate(arena, DType.BF16, n, k);
            SplittableRandom rnd = new SplittableRandom(42);
            for (int j = 0; j < k; j++) x.segment().set(F, 4L * j, (float) rnd.nextGaussian());
            MemorySegment ws = w.segment();
            for (long e = 0; e < (long) n * k; e++) {
                ws.set(S, 2 * e, BFloat16.fromFloat((float) (rnd.nextGaussian() * 0.02)));
            }
            Tensor y1 = Tensor.allocate(arena, DType.F32, 1, n);
            Tensor y2 = Tensor.allocate(arena, DType.F32, 1, n);
            GemvTask task = new GemvTask();
            task.set(x, w, y1).execute(one);
            task.set(x, w, y2).execute(two);
            float[] a = y1.toFloatArray(), b = y2.toFloatArray();
            assertArrayEquals(a, b);
            try {
                for (long bytes : new long[] {8 << 10, 100 << 10, 1 << 30}) { // other chunk boundaries: same bits
                    GemvTask.chunkBytes = bytes;
                    task.set(x, w, y2).execute(two);
                    assertArrayEquals(a, y2.toFloatArray());
                }
            } finally {
                GemvTask.chunkBytes = GemvTask.CHUNK_BYTES;
            }
            float[] xs = x.toFloatArray();
            for (int row = 0; row < n; row++) {
                double ref = 0, mag = 0;
                long base = (long) row * k;
                for (int j = 0; j < k; j++) {
                    double p = (double) xs[j] * BFloat16.toFloat(ws.get(S, 2 * (base + j)));
                    ref += p;
                    mag += Math.abs(p);
                }
                assertTrue(Math.abs(a[row] - ref) <= TOLERANCE * mag, "row " + row + ": " + a[row] + " vs " + ref);
            }
        }
    }

    /** Once the kernels are compiled, a reused task allocates nothing, on the caller or on the workers. */
    @Test
    void executeAllocatesNothingOnceCompiled() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long[] ids = pool.threads() > 1 ? workerIds() : new long[] {Thread.currentThread().threadId()};
        try (Arena arena = Arena.ofShared()) {
            Problem[] problems = {new Problem(arena, DType.BF16, 1, 256, 1024, 5), new Problem(arena, DType.BF16, 3, 256, 1000, 6),
                    new Problem(arena, DType.F16, 1, 256, 1024, 7), new Problem(arena, DType.F32, 2, 256, 1024, 8)};
            GemvTask task = new GemvTask();
            GemvTask.chunkBytes = 64 << 10; // several chunks: the workers take part
            // 120 s: GemvF16.k1x4 goes through a storm of profile_predicate deoptimisations (at its loop back-edge)
            // after a oneDNN call in the same JVM before C2 settles on code that no longer traps; seen at 52-70 s.
            long deadline = System.nanoTime() + 120_000_000_000L;
            long allocated;
            do { // C2 needs a while; until then the Vector API allocates
                for (int r = 0; r < 200; r++) for (Problem p : problems) p.gemv(task);
                long before = allocated(threads, ids);
                for (int r = 0; r < 200; r++) for (Problem p : problems) p.gemv(task);
                allocated = allocated(threads, ids) - before;
            } while (allocated > 4096 && System.nanoTime() < deadline);
            assertTrue(allocated <= 4096, "800 products still allocated " + allocated + " bytes");
        } finally {
            GemvTask.chunkBytes = GemvTask.CHUNK_BYTES;
        }
    }

    private static long[] workerIds() {
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        CyclicBarrier all = new CyclicBarrier(pool.threads());
        pool.run(c -> {
            ids.add(Thread.currentThread().threadId());
            try {
                all.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool.threads());
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    private static long allocated(com.sun.management.ThreadMXBean threads, long[] ids) {
        long sum = 0;
        for (long id : ids) sum += threads.getThreadAllocatedBytes(id);
        return sum;
    }

    @Test
    void tensorOverloadTakesVectorsAndMatrices() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = Tensor.ofFloats(arena, new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Tensor x = Tensor.ofFloats(arena, new float[] {1, 0, -1}, 3);
            Tensor y = Tensor.allocate(arena, DType.F32, 2);
            new GemvTask().set(x, w, y).execute(pool);
            assertArrayEquals(new float[] {-2, -2}, y.toFloatArray());

            Tensor x2 = Tensor.ofFloats(arena, new float[] {1, 0, -1, 9, 0, 0, 1, 1, 1, 9}, 2, 5).slice(1, 0, 3);
            Tensor y2 = Tensor.allocate(arena, DType.F32, 2, 2);
            new GemvTask().set(x2, w, y2).execute(pool);
            assertArrayEquals(new float[] {-2, -2, 5, 11}, y2.toFloatArray());
        }
    }

    @Test
    void rejectsBadArguments() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(4 * 8), w = arena.allocate(2 * 8 * 4), y = arena.allocate(4 * 4);
            Gemv.gemv(DType.BF16, x, 0, 1, 8, w, 0, 4, 8, y, 0, 4, 0, 4);
            assertThrows(IllegalArgumentException.class, () -> Gemv.gemv(DType.I8, x, 0, 1, 8, w, 0, 4, 8, y, 0, 4, 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> Gemv.gemv(DType.F32, x, 0, 1, 8, w, 0, 4, 8, y, 0, 4, 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> Gemv.gemv(DType.BF16, x, 4, 1, 8, w, 0, 4, 8, y, 0, 4, 0, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> Gemv.gemv(DType.BF16, x, 0, 1, 8, w, 0, 4, 8, y, 0, 4, 2, 5));
            assertThrows(IllegalArgumentException.class, () -> Gemv.gemv(DType.BF16, x, 0, 2, 4, w, 0, 4, 8, y, 0, 4, 0, 4));
            Tensor wt = Tensor.allocate(arena, DType.BF16, 4, 8);
            Tensor xt = Tensor.allocate(arena, DType.F32, 1, 7);
            Tensor yt = Tensor.allocate(arena, DType.F32, 1, 4);
            assertThrows(IllegalArgumentException.class, () -> new GemvTask().set(xt, wt, yt));
            GemvTask unsplit = new GemvTask().set(DType.BF16, x, 0, 1, 8, w, 0, 4, 8, y, 0, 4);
            assertThrows(IllegalStateException.class, () -> unsplit.run(0)); // chunks() first
        }
    }

    @Test
    void zeroSizesAreNoOps() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment y = arena.allocate(4 * 3);
            y.fill((byte) 0x7f);
            MemorySegment none = arena.allocate(0);
            Gemv.gemv(DType.BF16, none, 0, 1, 0, none, 0, 3, 0, y, 0, 3, 0, 3); // K = 0: y = 0
            for (int j = 0; j < 3; j++) assertEquals(0f, y.get(F, 4L * j));
            Gemv.gemv(DType.BF16, none, 0, 0, 0, none, 0, 3, 0, none, 0, 0, 0, 3); // M = 0
            GemvTask task = new GemvTask().set(DType.F32, none, 0, 1, 0, none, 0, 0, 0, none, 0, 0);
            assertEquals(0, task.chunks(2));
            task.execute(pool);
        }
    }
}
