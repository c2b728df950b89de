package io.moe4j.engine.moe.reference;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the reference itself: {@link NaiveMoe} reproduces the four golden layer cases (made by an independent
 * float64 implementation) to the golden README's tolerances: |y − expected| ≤ 1e-5 + 1e-5·|expected|, loads and
 * drops exact, aux/z/entropy to 1e-5 relative.
 */
class NaiveMoeGoldenTest {

    static List<String> cases() {
        List<String> names = Golden.names();
        assertFalse(names.isEmpty(), "no golden layer cases under " + LayerFiles.goldenLayers().toAbsolutePath());
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void referenceMatchesGolden(String name) {
        try (Arena arena = Arena.ofConfined()) {
            Golden g = Golden.load(name, arena);
            NaiveMoe ref = new NaiveMoe(g.config(), g.weights());
            NaiveMoe.Result r = ref.forward(g.x(), null);
            assertTrue(r.ties.isEmpty(), "golden input has near-ties: " + r.ties);
            double worst = 0;
            for (int t = 0; t < g.y().length; t++) {
                for (int i = 0; i < g.y()[t].length; i++) {
                    double e = g.y()[t][i], diff = Math.abs(r.y[t][i] - e);
                    worst = Math.max(worst, diff);
                    assertTrue(diff <= 1e-5 + 1e-5 * Math.abs(e), name + " y[" + t + "][" + i + "] = " + r.y[t][i] + ", expected " + e);
                }
            }
            System.out.printf("%s: max |y - golden| = %.3g%n", name, worst);
            assertArrayEquals(g.expertLoad(), r.load, name + " expert_load");
            assertEquals(g.dropped(), r.dropped, name + " dropped");
            assertRel(g.aux(), r.aux, name + " aux_loss");
            assertRel(g.z(), r.z, name + " z_loss");
            assertRel(g.entropy(), r.entropy, name + " entropy");
        }
    }

    static void assertRel(double expected, double actual, String what) {
        assertTrue(Math.abs(actual - expected) <= 1e-5 * Math.abs(expected), what + " = " + actual + ", expected " + expected);
    }
}
