package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every matmul path of the CPU backend against a double-precision reference over the exact (already rounded)
 * weights. Tolerance: |y − ref| ≤ 1e-5 · Σ|x·w| per output, which float32 accumulation over K ≤ 14336 terms
 * meets with a wide margin (its error grows like √K · 2⁻²⁴ for random signs).
 */
class CpuBackendMatmulTest {
    static final double TOLERANCE = 1e-5;
    static CpuBackend backend;

    @BeforeAll
    static void open() { backend = CpuBackend.create(2); }

    @AfterAll
    static void close() { backend.close(); }

    /** (K, N) from real models scaled down 16×: Mixtral w1/w3 (4096→14336), w2, DBRX (6144→10752), router, odd sizes. */
    static Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        int[][] kn = {{256, 896}, {896, 256}, {384, 672}, {256, 8}, {100, 37}, {7, 3}, {1, 1}};
        for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
            for (int[] s : kn) {
                // 300: past BlockedMatmul.SWAP_MAX_ROWS, the usual (unswapped) oneDNN form
                for (int m : new int[] {1, 3, CpuBackend.F16_GEMV_MAX_ROWS + 1, CpuBackend.BF16_GEMV_MAX_ROWS,
                        CpuBackend.BF16_GEMV_MAX_ROWS + 1, 64, 300}) {
                    cases.add(Arguments.of(type, m, s[1], s[0]));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} M={1} N={2} K={3}")
    @MethodSource("shapes")
    void matchesReference(DType type, int m, int n, int k) {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = random(arena, DType.F32, 1, m, k);
            Tensor w = random(arena, type, 2, n, k);
            Tensor y = Tensor.allocate(arena, DType.F32, m, n);
            backend.matmul(x, w, y);
            assertClose(x, w, y);
        }
    }

    @Test
    void stridedRowsOfXAndY() {
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[] {DType.F32, DType.BF16}) {
                for (int m : new int[] {1, 5, 40}) {
                    Tensor xWide = random(arena, DType.F32, 3, m, 300);
                    Tensor x = xWide.slice(1, 10, 266);
                    Tensor w = random(arena, type, 4, 120, 256);
                    Tensor yWide = Tensor.allocate(arena, DType.F32, m, 200);
                    Tensor y = yWide.slice(1, 50, 170);
                    backend.matmul(x, w, y);
                    assertClose(x, w, y);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < 50; j++) assertTrue(yWide.getFloat(i, j) == 0f, "wrote outside y");
                        for (int j = 170; j < 200; j++) assertTrue(yWide.getFloat(i, j) == 0f, "wrote outside y");
                    }
                }
            }
        }
    }

    @Test
    void kMajorWeightsAsInDbrxW2() {
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                for (int m : new int[] {1, 3, 20}) {
                    Tensor stored = random(arena, type, 13, 300, 200); // [K, N] row-major, as DBRX stores w2
                    Tensor w = stored.transpose(0, 1);                 // [N, K] view, strides (1, N)
                    Tensor x = random(arena, DType.F32, 14, m, 300);
                    Tensor y = Tensor.allocate(arena, DType.F32, m, 200);
                    backend.matmul(x, w, y);
                    assertClose(x, w, y);
                }
            }
        }
    }

    @Test
    void realMixtralExpertShapeAtM1() {
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[] {DType.F32, DType.BF16}) {
                Tensor x = random(arena, DType.F32, 5, 1, 4096);
                Tensor w = random(arena, type, 6, 14336, 4096);
                Tensor y = Tensor.allocate(arena, DType.F32, 1, 14336);
                backend.matmul(x, w, y);
                assertClose(x, w, y);
            }
        }
    }

    @Test
    void gemvResultsDoNotDependOnThreadCount() {
        try (Arena arena = Arena.ofShared(); CpuBackend one = CpuBackend.create(1)) {
            Tensor x = random(arena, DType.F32, 7, 4, 1000);
            Tensor w = random(arena, DType.BF16, 8, 777, 1000);
            Tensor y1 = Tensor.allocate(arena, DType.F32, 4, 777);
            Tensor y2 = Tensor.allocate(arena, DType.F32, 4, 777);
            one.matmul(x, w, y1);
            backend.matmul(x, w, y2);
            assertArrayEquals(y1.toFloatArray(), y2.toFloatArray());
        }
    }

    @Test
    void blockedResultsDoNotDependOnThreadCount() {
        try (Arena arena = Arena.ofShared(); CpuBackend one = CpuBackend.create(1)) {
            for (DType type : new DType[] {DType.F32, DType.BF16}) {
                for (int m : new int[] {2, 40, 300}) { // swapped form, and the usual one above 256 rows
                    Tensor x = random(arena, DType.F32, 17, m, 1000);
                    Tensor w = random(arena, type, 18, 1500, 1000); // 3 column blocks of at most 524
                    Tensor y1 = Tensor.allocate(arena, DType.F32, m, 1500);
                    Tensor y2 = Tensor.allocate(arena, DType.F32, m, 1500);
                    one.matmul(x, w, y1);
                    backend.matmul(x, w, y2);
                    assertArrayEquals(y1.toFloatArray(), y2.toFloatArray(), type + " M=" + m);
                }
            }
        }
    }

    @Test
    void confinedTensorsAreComputedOnTheCallingThread() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType type : new DType[] {DType.F32, DType.BF16}) {
                for (int m : new int[] {1, 20}) {
                    Tensor x = random(arena, DType.F32, 9, m, 512);
                    Tensor w = random(arena, type, 10, 300, 512);
                    Tensor y = Tensor.allocate(arena, DType.F32, m, 300);
                    backend.matmul(x, w, y);
                    assertClose(x, w, y);
                }
            }
        }
    }

    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(4)) {
            Tensor w = random(arena, DType.BF16, 11, 500, 640);
            Tensor wf = random(arena, DType.F32, 12, 500, 640);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = 100 + t;
                futures.add(pool.submit(() -> {
                    for (int rep = 0; rep < 5; rep++) {
                        int m = 1 + (seed + rep) % 12;
                        Tensor x = random(arena, DType.F32, seed * 31 + rep, m, 640);
                        Tensor y = Tensor.allocate(arena, DType.F32, m, 500);
                        Tensor yf = Tensor.allocate(arena, DType.F32, m, 500);
                        backend.matmul(x, w, y);
                        backend.matmul(x, wf, yf);
                        assertClose(x, w, y);
                        assertClose(x, wf, yf);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        }
    }

    @Test
    void badOperandsAreNamed() {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.allocate(arena, DType.F32, 2, 8);
            Tensor w = Tensor.allocate(arena, DType.F32, 4, 8);
            Tensor y = Tensor.allocate(arena, DType.F32, 2, 4);
            assertMessage("w", () -> backend.matmul(x, Tensor.allocate(arena, DType.F32, 4, 9), y));
            assertMessage("y", () -> backend.matmul(x, w, Tensor.allocate(arena, DType.F32, 2, 5)));
            assertMessage("x", () -> backend.matmul(Tensor.allocate(arena, DType.BF16, 2, 8), w, y));
            assertMessage("w", () -> backend.matmul(x, Tensor.allocate(arena, DType.F32, 4, 8, 1), y));
            assertMessage("I32", () -> backend.matmul(x, Tensor.allocate(arena, DType.I32, 4, 8), y));
            assertMessage("w", () -> backend.matmul(x, Tensor.allocate(arena, DType.F32, 4, 16).slice(1, 0, 8), y));
        }
    }

    @Test
    void useAfterCloseIsAnExceptionNotACrash() {
        Arena arena = Arena.ofShared();
        Tensor x = Tensor.allocate(arena, DType.F32, 1, 64);
        Tensor w = Tensor.allocate(arena, DType.F32, 64, 64);
        Tensor y = Tensor.allocate(arena, DType.F32, 1, 64);
        arena.close();
        assertThrows(IllegalStateException.class, () -> backend.matmul(x, w, y));
        CpuBackend closed = CpuBackend.create(1);
        closed.close();
        try (Arena live = Arena.ofShared()) {
            Tensor a = Tensor.allocate(live, DType.F32, 1, 8);
            Tensor b = Tensor.allocate(live, DType.F32, 8, 8);
            assertThrows(IllegalStateException.class, () -> closed.matmul(a, b, Tensor.allocate(live, DType.F32, 1, 8)));
        }
    }

    static void assertMessage(String expected, Runnable call) {
        var e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static Tensor random(Arena arena, DType type, long seed, long... shape) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[(int) (shape[0] * shape[1])];
        for (int i = 0; i < values.length; i++) values[i] = (float) random.nextDouble(-1, 1);
        Tensor f32 = Tensor.ofFloats(arena, values, shape);
        if (type == DType.F32) return f32;
        Tensor t = Tensor.allocate(arena, type, shape);
        f32.copyTo(t);
        return t;
    }

    static void assertClose(Tensor x, Tensor w, Tensor y) {
        int m = (int) x.dim(0), k = (int) x.dim(1), n = (int) w.dim(0);
        float[] xs = new float[m * k], ws = w.toFloatArray(); // row-major [N, K] whatever w's strides
        for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) xs[i * k + j] = x.getFloat(i, j);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int l = 0; l < k; l++) {
                    double p = (double) xs[i * k + l] * ws[j * k + l];
                    sum += p;
                    magnitude += Math.abs(p);
                }
                double error = Math.abs(y.getFloat(i, j) - sum);
                if (!(error <= TOLERANCE * magnitude + 1e-30)) {
                    throw new AssertionError("y[" + i + ", " + j + "] = " + y.getFloat(i, j) + ", expected " + sum
                            + " (" + w.dtype() + " M=" + m + " N=" + n + " K=" + k + ")");
                }
            }
        }
    }
}
