package io.moe4j.engine.moe;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.reference.RandomLayers;
import io.moe4j.engine.moe.reference.RandomLayers.Spec;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The routing map agrees with the statistics and with each router's normalisation, and tracing changes nothing. */
class RoutingTraceTest {

    @Test
    void mapsAgreeWithLoadsAndGateSums() {
        Object[][] cases = {
                {new Spec().name("topk l1").router(RouterKind.SOFTMAX_TOPK).size(32, 48, 8).k(2), 1.0},
                {new Spec().name("switch cap").router(RouterKind.SWITCH).size(32, 48, 8).k(1).normalize(Normalize.NONE).capacity(1.0), Double.NaN},
                {new Spec().name("expert_choice").router(RouterKind.EXPERT_CHOICE).size(32, 48, 8).k(2), Double.NaN},
                {new Spec().name("soft S2").router(RouterKind.SOFT).size(16, 24, 4).slots(2), 1.0},
                {new Spec().name("hierarchical").router(RouterKind.HIERARCHICAL).size(32, 24, 8).groups(2, 2).k(1), 1.0},
        };
        try (CpuBackend backend = CpuBackend.create(2)) {
            for (Object[] c : cases) {
                Spec s = (Spec) c[0];
                double rowSum = (double) c[1];
                try (Arena arena = Arena.ofShared()) {
                    RandomLayers.Layer l = RandomLayers.build(arena, s);
                    try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                        int tokens = 13;
                        Tensor x = LayerRunner.x(arena, RandomLayers.tokens(new SplittableRandom(3), tokens, s.d));
                        Tensor traced = Tensor.allocate(arena, io.moe4j.engine.tensor.DType.F32, tokens, s.d);
                        Tensor plain = Tensor.allocate(arena, io.moe4j.engine.tensor.DType.F32, tokens, s.d);
                        RoutingStats stats = new RoutingStats(s.e);
                        RoutingTrace trace = new RoutingTrace(s.e);
                        layer.forward(x, null, traced, stats, trace);
                        layer.forward(x, null, plain, null);
                        assertArrayEquals(plain.toFloatArray(), traced.toFloatArray(), s.name + ": tracing changed y");
                        assertEquals(tokens, trace.tokens());
                        for (int e = 0; e < s.e && s.router != RouterKind.SOFT; e++) {
                            int reached = 0;
                            for (int t = 0; t < tokens; t++) if (trace.weight(t, e) != 0) reached++;
                            assertEquals(stats.expertLoad(e), reached, s.name + ": expert " + e);
                        }
                        for (int t = 0; t < tokens && !Double.isNaN(rowSum); t++) {
                            double sum = 0;
                            for (int e = 0; e < s.e; e++) sum += trace.weight(t, e);
                            assertEquals(rowSum, sum, 1e-5, s.name + ": token " + t);
                        }
                    }
                }
            }
        }
    }

    @Test
    void traceForAnotherExpertCountIsRefused() {
        Spec s = new Spec().name("topk").router(RouterKind.SOFTMAX_TOPK).size(16, 8, 4).k(2);
        try (CpuBackend backend = CpuBackend.create(1); Arena arena = Arena.ofShared()) {
            RandomLayers.Layer l = RandomLayers.build(arena, s);
            try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                Tensor x = LayerRunner.x(arena, RandomLayers.tokens(new SplittableRandom(1), 2, s.d));
                Tensor y = Tensor.allocate(arena, io.moe4j.engine.tensor.DType.F32, 2, s.d);
                var e = assertThrows(IllegalArgumentException.class, () -> layer.forward(x, null, y, null, new RoutingTrace(5)));
                assertEquals("trace holds 5 experts, the layer has 4", e.getMessage());
            }
        }
    }
}
