package io.moe4j.engine.moe;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.reference.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The golden layer cases ({@code shared/golden/layers}, made by an independent float64 implementation) through
 * {@link MoeLayer}, to the golden README's tolerances: |y − expected| ≤ 1e-5 + 1e-5·|expected|, expert loads and
 * drops exact, aux_loss / z_loss / entropy to 1e-5 relative. The weights come from the test's own safetensors
 * reader.
 */
class MoeLayerGoldenTest {
    static CpuBackend backend;

    @BeforeAll
    static void open() { backend = CpuBackend.create(2); }

    @AfterAll
    static void close() { backend.close(); }

    static List<String> cases() {
        List<String> names = Golden.names();
        assertFalse(names.isEmpty(), "no golden layer cases found");
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void engineMatchesGolden(String name) {
        try (Arena arena = Arena.ofShared()) {
            Golden g = Golden.load(name, arena);
            List<String> failures = new ArrayList<>();
            try (MoeLayer layer = MoeLayer.create(backend, g.config(), g.weights())) {
                RoutingStats stats = new RoutingStats(g.config().numExperts());
                float[][] y = LayerRunner.forward(layer, arena, g.x(), null, stats);
                double worst = 0;
                for (int t = 0; t < y.length; t++) {
                    for (int i = 0; i < y[t].length; i++) {
                        double e = g.y()[t][i], diff = Math.abs(y[t][i] - e);
                        if (Float.isNaN(y[t][i])) diff = Double.POSITIVE_INFINITY;
                        worst = Math.max(worst, diff);
                        if (diff > 1e-5 + 1e-5 * Math.abs(e) && failures.size() < 5) {
                            failures.add("y[" + t + "][" + i + "] = " + y[t][i] + ", expected " + e + " (|diff| " + diff + ")");
                        }
                    }
                }
                System.out.printf("%s: max |y - golden| = %.3g; %s%n", name, worst, stats);
                if (!Arrays.equals(g.expertLoad(), stats.expertLoads())) {
                    failures.add("expert_load " + Arrays.toString(stats.expertLoads()) + ", expected " + Arrays.toString(g.expertLoad()));
                }
                if (g.dropped() != stats.dropped()) failures.add("dropped " + stats.dropped() + ", expected " + g.dropped());
                rel(failures, "aux_loss", stats.auxLoss(), g.aux());
                rel(failures, "z_loss", stats.zLoss(), g.z());
                rel(failures, "entropy", stats.entropy(), g.entropy());
            }
            assertTrue(failures.isEmpty(), name + ": " + String.join("; ", failures));
        }
    }

    private static void rel(List<String> failures, String what, double actual, double expected) {
        if (!(Math.abs(actual - expected) <= 1e-5 * Math.abs(expected))) {
            failures.add(what + " = " + actual + ", expected " + expected);
        }
    }
}
