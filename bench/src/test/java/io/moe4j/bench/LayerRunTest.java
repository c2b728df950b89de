package io.moe4j.bench;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every router of the contract runs through the harness at a tiny shape, and the row agrees with its routing. */
class LayerRunTest {
    static final LayerShape TINY = LayerShape.parse("32,16,8,2");

    @Test
    void everyRouterGivesAConsistentRow() {
        List<String> specs = List.of("softmax_topk", "softmax_topk,normalize=none", "dense", "noisy_topk,noise=true",
                "switch,capacity_factor=1.0", "switch,top_k=2,second_expert=random", "expert_choice", "hash", "soft,slots=2",
                "hierarchical,groups=2,group_top_k=1");
        List<String> failures = new ArrayList<>();
        try (WorkerPool pool = new WorkerPool(2); CpuBackend backend = CpuBackend.create(2)) {
            for (String spec : specs) {
                for (DType dtype : List.of(DType.F32, DType.BF16)) {
                    try (BenchLayer layer = BenchLayer.create(backend, pool, TINY, dtype, RouterSpec.parse(spec), 7, Progress.NONE)) {
                        BenchRow row = LayerRun.measure(layer, pool, 5, 3, spec, Progress.NONE);
                        assertEquals(3, row.timing().runs());
                        assertEquals(5, row.routing().tokens());
                        long assignments = 0;
                        for (long l : row.expertLoad()) assignments += l;
                        assertEquals(assignments * 6.0 * 32 * 16, row.cost().flops(), spec);
                        assertEquals(row.expertsUsed() * dtype.bytesFor(3 * 32 * 16), row.cost().bytes(), spec);
                        // Stochastic routers (noise, random second expert) draw anew on each call, and the map comes
                        // from one more call than the loads; soft has slots, not per-token choices.
                        boolean comparable = !spec.startsWith("soft") && !spec.contains("noise=true") && !spec.contains("random");
                        if (comparable) {
                            for (int e = 0; e < 8; e++) {
                                int reached = 0;
                                for (int t = 0; t < 5; t++) if (row.routing().weight(t, e) != 0) reached++;
                                if (reached != row.expertLoad()[e]) {
                                    failures.add(spec + " " + dtype + ": expert " + e + " load " + row.expertLoad()[e] + ", map " + reached);
                                }
                            }
                        }
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void remeasuringTimesAsManyMoreCalls() {
        try (WorkerPool pool = new WorkerPool(2); CpuBackend backend = CpuBackend.create(2);
             BenchLayer layer = BenchLayer.create(backend, pool, TINY, DType.BF16, RouterSpec.DEFAULT, 7, Progress.NONE)) {
            LayerRun.measure(layer, pool, 5, 2, "softmax_topk", Progress.NONE);
            double[] ms = LayerRun.remeasure(layer, pool, 5, 4, Progress.NONE);
            assertEquals(4, ms.length);
            for (double t : ms) assertTrue(t > 0, "a timed call took " + t + " ms");
        }
    }

    @Test
    void batchesLargerThanOneFillChunk() {
        try (WorkerPool pool = new WorkerPool(2); CpuBackend backend = CpuBackend.create(2);
             BenchLayer layer = BenchLayer.create(backend, pool, TINY, DType.F32, RouterSpec.DEFAULT, 7, Progress.NONE)) {
            BenchRow row = LayerRun.measure(layer, pool, 200, 1, "softmax_topk", Progress.NONE);
            assertEquals(200, row.routing().tokens());
            assertEquals(400, java.util.Arrays.stream(row.expertLoad()).sum());
        }
    }

    @Test
    void sameSeedSameLayerWhateverTheThreadCount() {
        try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2);
             CpuBackend b1 = CpuBackend.create(1); CpuBackend b2 = CpuBackend.create(2);
             BenchLayer a = BenchLayer.create(b1, one, TINY, DType.BF16, RouterSpec.DEFAULT, 3, Progress.NONE);
             BenchLayer b = BenchLayer.create(b2, two, TINY, DType.BF16, RouterSpec.DEFAULT, 3, Progress.NONE);
             Arena arena = Arena.ofShared()) {
            Tensor xa = a.input(arena, one, 90), xb = b.input(arena, two, 90);
            assertArrayEquals(xa.toFloatArray(), xb.toFloatArray());
            Tensor ya = Tensor.allocate(arena, DType.F32, 90, 32), yb = Tensor.allocate(arena, DType.F32, 90, 32);
            RoutingStats sa = new RoutingStats(8), sb = new RoutingStats(8);
            a.layer().forward(xa, null, ya, sa);
            b.layer().forward(xb, null, yb, sb);
            assertArrayEquals(ya.toFloatArray(), yb.toFloatArray());
            assertArrayEquals(sa.expertLoads(), sb.expertLoads());
            assertEquals(RandomWeights.value(3, RandomWeights.INPUT, 32 + 5, 1f), xa.getFloat(1, 5));
            assertEquals(RandomWeights.value(3, RandomWeights.w2(0), 16 + 3, RandomWeights.EXPERT_SCALE),
                    a.layer().weights().experts().getFirst().w2().getFloat(1, 3), 1e-3f * 0.02f); // bf16 rounding
        }
    }
}
