package io.moe4j.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generator the C twin reimplements: pinned values, range, and a flat distribution. */
class RandomWeightsTest {
    @Test
    void pinnedValuesSoTheTwinCanCheckItself() {
        // Computed by hand from the definition (SplitMix64 finaliser of seed·φ + stream·c + index).
        long z = 42 * 0x9E3779B97F4A7C15L + 7 * 0xBF58476D1CE4E5B9L + 5;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        float expected = 0.5f * ((int) (z >>> 40) * 0x1.0p-23f - 1f);
        assertEquals(expected, RandomWeights.value(42, 7, 5, 0.5f));
        assertNotEquals(RandomWeights.value(42, 7, 5, 1f), RandomWeights.value(42, 8, 5, 1f));
        assertNotEquals(RandomWeights.value(42, 7, 5, 1f), RandomWeights.value(43, 7, 5, 1f));
    }

    @Test
    void uniformInMinusScaleToScale() {
        int n = 200_000;
        double sum = 0, sumSq = 0;
        int[] bins = new int[10];
        for (int i = 0; i < n; i++) {
            float v = RandomWeights.value(1, 2, i, 0.02f);
            assertTrue(v >= -0.02f && v < 0.02f, "value " + v);
            sum += v;
            sumSq += v * v;
            bins[Math.min(9, (int) ((v / 0.02f + 1) * 5))]++;
        }
        assertEquals(0, sum / n, 2e-4);
        assertEquals(0.02 * 0.02 / 3, sumSq / n, 2e-6); // variance of U(-a, a) is a²/3
        for (int b : bins) assertEquals(n / 10.0, b, n / 10.0 * 0.05);
    }
}
