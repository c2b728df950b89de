package io.moe4j.engine.backend.cpu.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.QuantPath;
import io.moe4j.engine.backend.cpu.kernels.Gemv;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matmul with block-quantized weights through the CPU backend, every path (GEMV for small M, dequantized column
 * blocks + oneDNN for large M), against a double-precision reference over the exactly dequantized weights
 * ({@link QuantReference}). Tolerance |y − ref| ≤ 1e-5 · Σ|x·w| per output, as for the other weight types: the
 * weights are exact, so only float32 summation over K ≤ 14336 terms is left.
 */
class QuantMatmulTest {
    static final double TOLERANCE = 1e-5;
    static CpuBackend backend;

    @BeforeAll
    static void open() { backend = CpuBackend.create(2); }

    @AfterAll
    static void close() { backend.close(); }

    /**
     * (K, N) from real models scaled down: Mixtral w1/w3 (4096 → 14336) / 16; w2 (14336 → 4096) / 16, or / 8 for
     * the 256-weight blocks (896 is not a multiple of 256); an odd N, and N = 1. M on both sides of the GEMV limit.
     */
    static Stream<Arguments> shapes() {
        List<Arguments> cases = new ArrayList<>();
        for (DType type : QuantTestSupport.TYPES) {
            int w2k = type.blockSize() == 32 ? 896 : 1792;
            int[][] kn = {{256, 896}, {w2k, 256}, {512, 37}, {256, 1}};
            for (int[] s : kn) {
                for (int m : new int[] {1, 2, 3, 5, CpuBackend.QUANT_GEMV_MAX_ROWS, CpuBackend.QUANT_GEMV_MAX_ROWS + 1, 40}) {
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
            Tensor x = QuantTestSupport.activations(arena, 1, m, k);
            Tensor w = QuantTestSupport.weights(arena, type, 2, n, k);
            Tensor y = Tensor.allocate(arena, DType.F32, m, n);
            backend.matmul(x, w, y);
            assertClose(x, QuantTestSupport.reference(w), n, y, type);
        }
    }

    /**
     * The quantized GEMV computes each output exactly as the F32 GEMV does over the dequantized weights (same
     * operations, same order), so the bits agree, for every M; the dequantized path runs the same oneDNN blocks
     * as F32 weights, so it agrees bit for bit with the F32 matmul over the dequantized weights; the default is
     * whichever of the two {@link CpuBackend#quantPath} names.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void sameBitsAsF32OverTheDequantizedWeights(DType type) {
        int n = 203, k = 1024;
        try (Arena arena = Arena.ofShared()) {
            Tensor w = QuantTestSupport.weights(arena, type, 3, n, k);
            Tensor wf = Tensor.ofFloats(arena, QuantTestSupport.reference(w), n, k);
            for (int m : new int[] {1, 2, 3, 4, 5, 8, 24}) {
                Tensor x = QuantTestSupport.activations(arena, 4 + m, m, k);
                Tensor gemv = Tensor.allocate(arena, DType.F32, m, n), oneDnn = Tensor.allocate(arena, DType.F32, m, n);
                Gemv.gemv(DType.F32, x.segment(), 0, m, k, wf.segment(), 0, n, k, gemv.segment(), 0, n, 0, n);
                backend.matmul(x, wf, oneDnn);
                Tensor y = Tensor.allocate(arena, DType.F32, m, n);
                backend.matmul(x, w, y, QuantPath.GEMV);
                assertArrayEquals(gemv.toFloatArray(), y.toFloatArray(), type + " GEMV M=" + m);
                backend.matmul(x, w, y, QuantPath.DEQUANTIZED_ONEDNN);
                assertArrayEquals(oneDnn.toFloatArray(), y.toFloatArray(), type + " dequantized + oneDNN M=" + m);
                backend.matmul(x, w, y);
                Tensor chosen = CpuBackend.quantPath(type, m) == QuantPath.GEMV ? gemv : oneDnn;
                assertArrayEquals(chosen.toFloatArray(), y.toFloatArray(), type + " default path M=" + m);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K"})
    void realMixtralExpertShapeAtM1(DType type) {
        try (Arena arena = Arena.ofShared()) {
            Tensor x = QuantTestSupport.activations(arena, 5, 1, 4096);
            Tensor w = QuantTestSupport.weights(arena, type, 6, 14336, 4096);
            Tensor y = Tensor.allocate(arena, DType.F32, 1, 14336);
            backend.matmul(x, w, y);
            assertClose(x, QuantTestSupport.reference(w), 14336, y, type);
        }
    }

    @Test
    void stridedRowsOfXAndY() {
        try (Arena arena = Arena.ofShared()) {
            for (DType type : new DType[] {DType.Q8_0, DType.Q4_0, DType.Q6_K}) {
                for (int m : new int[] {1, 5, 12}) {
                    Tensor x = QuantTestSupport.activations(arena, 3, m, 556).slice(1, 44, 300); // rows 556 apart
                    Tensor w = QuantTestSupport.weights(arena, type, 4, 120, 256);
                    Tensor yWide = Tensor.allocate(arena, DType.F32, m, 200);
                    Tensor y = yWide.slice(1, 50, 170);
                    backend.matmul(x, w, y);
                    assertClose(x, QuantTestSupport.reference(w), 120, y, type);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < 50; j++) assertEquals(0f, yWide.getFloat(i, j), "wrote outside y");
                        for (int j = 170; j < 200; j++) assertEquals(0f, yWide.getFloat(i, j), "wrote outside y");
                    }
                }
            }
        }
    }

    @Test
    void resultsDoNotDependOnThreadCount() {
        try (Arena arena = Arena.ofShared(); CpuBackend one = CpuBackend.create(1); CpuBackend three = CpuBackend.create(3)) {
            for (DType type : QuantTestSupport.TYPES) {
                Tensor w = QuantTestSupport.weights(arena, type, 8, 1001, 2048);
                for (int m : new int[] {1, 4, 20}) {
                    Tensor x = QuantTestSupport.activations(arena, 7, m, 2048);
                    Tensor y1 = Tensor.allocate(arena, DType.F32, m, 1001);
                    Tensor y2 = Tensor.allocate(arena, DType.F32, m, 1001);
                    Tensor y3 = Tensor.allocate(arena, DType.F32, m, 1001);
                    one.matmul(x, w, y1);
                    backend.matmul(x, w, y2);
                    three.matmul(x, w, y3);
                    assertArrayEquals(y1.toFloatArray(), y2.toFloatArray(), type + " M=" + m);
                    assertArrayEquals(y1.toFloatArray(), y3.toFloatArray(), type + " M=" + m);
                }
            }
        }
    }

    @Test
    void confinedTensorsAreComputedOnTheCallingThread() {
        try (Arena arena = Arena.ofConfined()) {
            for (int m : new int[] {1, 3, 20}) {
                Tensor x = QuantTestSupport.activations(arena, 9, m, 512);
                Tensor w = QuantTestSupport.weights(arena, DType.Q4_K, 10, 300, 512);
                Tensor y = Tensor.allocate(arena, DType.F32, m, 300);
                backend.matmul(x, w, y);
                assertClose(x, QuantTestSupport.reference(w), 300, y, DType.Q4_K);
            }
        }
    }

    @Test
    void warmCallsDoNotAllocateOnTheHeap() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofShared()) {
            List<Runnable> calls = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (DType type : QuantTestSupport.TYPES) {
                Tensor w = QuantTestSupport.weights(arena, type, 11, 256, 512);
                for (int m : new int[] {1, 3, 32}) {
                    Tensor x = QuantTestSupport.activations(arena, 12, m, 512);
                    Tensor y = Tensor.allocate(arena, DType.F32, m, 256);
                    calls.add(() -> backend.matmul(x, w, y));
                    names.add(type + " M=" + m + " " + CpuBackend.quantPath(type, m));
                    if (type == DType.Q8_0 || type == DType.Q4_0) {
                        calls.add(() -> backend.matmul(x, w, y, QuantPath.INT8_DOT));
                        names.add(type + " M=" + m + " INT8_DOT");
                    }
                }
            }
            Runnable step = () -> { for (Runnable c : calls) c.run(); };
            for (int i = 0; i < 2000; i++) step.run();
            // Windows of 200 steps until one allocates nothing: a late recompilation (C2 deoptimising a kernel on a
            // branch its profile had not seen) makes one window box vectors for a moment, which is the JIT's doing;
            // a leak shows in every window.
            List<Long> perStep = new ArrayList<>();
            int steps = 200;
            while (perStep.size() < 5 && (perStep.isEmpty() || perStep.getLast() != 0)) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < steps; i++) step.run();
                perStep.add((threads.getCurrentThreadAllocatedBytes() - before) / steps);
            }
            if (perStep.getLast() != 0) { // name the calls that allocate
                StringBuilder culprits = new StringBuilder();
                for (int c = 0; c < calls.size(); c++) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < steps; i++) calls.get(c).run();
                    long bytes = (threads.getCurrentThreadAllocatedBytes() - before) / steps;
                    if (bytes != 0) culprits.append(names.get(c)).append(": ").append(bytes).append(" B; ");
                }
                fail("a warm step of " + calls.size() + " quantized matmuls allocated " + perStep
                        + " bytes (per window of " + steps + " steps); per call: " + culprits);
            }
        }
    }

    @Test
    void badOperandsAreNamed() {
        try (Arena arena = Arena.ofShared()) {
            Tensor w = Tensor.allocate(arena, DType.Q4_K, 2, 384); // 768 = 3 blocks, but rows of 1.5 blocks
            var e = assertThrows(IllegalArgumentException.class,
                    () -> backend.matmul(Tensor.allocate(arena, DType.F32, 1, 384), w, Tensor.allocate(arena, DType.F32, 1, 2)));
            assertTrue(e.getMessage().contains("K = 384") && e.getMessage().contains("block size 256"), e.getMessage());
            Tensor q8 = Tensor.allocate(arena, DType.Q8_0, 4, 64);
            e = assertThrows(IllegalArgumentException.class,
                    () -> backend.matmul(Tensor.allocate(arena, DType.F32, 1, 32), q8, Tensor.allocate(arena, DType.F32, 1, 4)));
            assertTrue(e.getMessage().contains("(K)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> backend.matmul(Tensor.allocate(arena, DType.F32, 1, 8),
                    Tensor.allocate(arena, DType.I8, 4, 8), Tensor.allocate(arena, DType.F32, 1, 4)));
            assertTrue(e.getMessage().contains("I8"), e.getMessage());
        }
    }

    @Test
    void implementationNamesThePath() {
        assertEquals("Q4_K GEMV (Vector API)", backend.matmulImplementation(DType.Q4_K, 1, 14336, 4096));
        String large = backend.matmulImplementation(DType.Q8_0, 64, 14336, 4096);
        assertTrue(large.startsWith("Q8_0 dequantized per column block + oneDNN "), large);
    }

    static void assertClose(Tensor x, float[] w, int n, Tensor y, DType type) {
        int m = (int) x.dim(0), k = (int) x.dim(1);
        for (int i = 0; i < m; i++) {
            float[] xs = new float[k];
            for (int j = 0; j < k; j++) xs[j] = x.getFloat(i, j);
            for (int j = 0; j < n; j++) {
                double sum = 0, magnitude = 0;
                for (int l = 0; l < k; l++) {
                    double p = (double) xs[l] * w[j * k + l];
                    sum += p;
                    magnitude += Math.abs(p);
                }
                double error = Math.abs(y.getFloat(i, j) - sum);
                if (!(error <= TOLERANCE * magnitude + 1e-30)) {
                    throw new AssertionError("y[" + i + ", " + j + "] = " + y.getFloat(i, j) + ", expected " + sum
                            + " (" + type + " M=" + m + " N=" + n + " K=" + k + ")");
                }
            }
        }
    }
}
