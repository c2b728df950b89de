package io.moe4j.bench.twin;

import io.moe4j.bench.BenchLayer;
import io.moe4j.bench.LayerShape;
import io.moe4j.bench.Progress;
import io.moe4j.bench.RouterSpec;
import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The C twin computes what the Java layer computes: for the same shape, dtype, batch and seed, the same expert
 * loads and the same output sums (within {@link TwinResult#RELATIVE_TOLERANCE}). Runs the twin the build made
 * ({@code -Dmoe4j.twin}, set by bench/pom.xml); skipped, with the reason, where it was not built.
 */
class TwinAgreementTest {
    private static final int THREADS = 2;
    private static final long SEED = 42;

    private static Twin twin;
    private static CpuBackend backend;
    private static WorkerPool pool;

    @BeforeAll
    static void start() {
        twin = Twin.locate();
        if (!twin.isAvailable()) return;
        backend = CpuBackend.create(THREADS);
        pool = new WorkerPool(THREADS);
    }

    @BeforeEach
    void twinBuilt() {
        assumeTrue(twin.isAvailable(), twin.unavailableReason()); // reported per test, with the reason
    }

    @AfterAll
    static void stop() {
        if (pool != null) pool.close();
        if (backend != null) backend.close();
    }

    /**
     * A small shape, and an odd one whose widths are not multiples of 16 (GEMV tails), whose weights span two
     * column blocks with a partial last one (a second oneDNN primitive) and several GEMV chunks with leftover rows;
     * with k = 3 of 5 experts, T = 32 sends more than {@link CpuBackend#BF16_GEMV_MAX_ROWS} rows to an expert (BF16
     * through widened oneDNN blocks) and T = 3 between 2 and that (the multi-row GEMV).
     */
    static Stream<Arguments> rows() {
        return Stream.of(LayerShape.parse("64,128,4,2"), LayerShape.parse("136,4104,5,3"))
                .flatMap(shape -> Stream.of(Arguments.of(shape, DType.F32), Arguments.of(shape, DType.BF16)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("rows")
    void sameLoadsAndSums(LayerShape shape, DType dtype) {
        try (BenchLayer layer = BenchLayer.create(backend, pool, shape, dtype, RouterSpec.DEFAULT, SEED, Progress.NONE)) {
            for (int tokens : new int[] {1, 3, 32}) {
                JavaCall java = JavaCall.of(layer, tokens);
                TwinResult c = twin.run(shape, dtype, tokens, THREADS, 2, 1, SEED);
                TwinCheck check = c.check(java.stats, java.sums);
                String row = shape.name() + " " + dtype + " T=" + tokens + ": ";
                assertTrue(check.loadsMatch(), row + check.describe());
                assertTrue(check.sumsMatch(), row + check.describe());
                assertEquals((long) tokens * shape.topK(), Arrays.stream(c.expertLoad()).sum(), row + "every token's k choices");
                assertEquals(2, c.timing().runs());
                assertTrue(c.timing().min() > 0, row + "times " + Arrays.toString(c.timing().ms()));
            }
        }
    }

    /** The comparison notices another computation: the same layer on another seed's weights and input. */
    @Test
    void anotherSeedDisagrees() {
        LayerShape shape = LayerShape.parse("64,128,4,2");
        try (BenchLayer layer = BenchLayer.create(backend, pool, shape, DType.F32, RouterSpec.DEFAULT, SEED, Progress.NONE)) {
            JavaCall java = JavaCall.of(layer, 32);
            TwinCheck check = twin.run(shape, DType.F32, 32, THREADS, 1, 0, SEED + 1).check(java.stats, java.sums);
            assertFalse(check.sumsMatch(), check.describe());
            assertFalse(check.agrees());
        }
    }

    /** One Java forward call on the bench input of T tokens. */
    private record JavaCall(RoutingStats stats, OutputSums sums) {
        static JavaCall of(BenchLayer layer, int tokens) {
            try (Arena arena = Arena.ofShared()) {
                Tensor x = layer.input(arena, pool, tokens);
                Tensor y = Tensor.allocate(arena, DType.F32, tokens, layer.shape().model());
                RoutingStats stats = new RoutingStats(layer.shape().experts());
                layer.layer().forward(x, null, y, stats);
                return new JavaCall(stats, OutputSums.of(y));
            }
        }
    }
}
