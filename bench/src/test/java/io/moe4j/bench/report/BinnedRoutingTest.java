package io.moe4j.bench.report;

import io.moe4j.bench.RoutingMap;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BinnedRoutingTest {
    /** Token t sends weight t to expert t % 3 and nothing elsewhere. */
    private static RoutingMap ramp(int tokens) {
        float[] w = new float[tokens * 3];
        for (int t = 0; t < tokens; t++) w[t * 3 + t % 3] = t;
        return new RoutingMap(tokens, 3, w);
    }

    @Test
    void aBatchThatFitsIsKeptTokenByToken() {
        BinnedRouting b = BinnedRouting.of(ramp(5), 128);
        assertEquals(1, b.binSize());
        assertEquals(5, b.bins());
        assertEquals(4f, b.mean(4, 1));
        assertEquals(0f, b.mean(4, 0));
    }

    @Test
    void aLongBatchIsBinnedIntoMeansOfEqualRuns() {
        BinnedRouting b = BinnedRouting.of(ramp(512), 128);
        assertEquals(4, b.binSize());
        assertEquals(128, b.bins());
        // Bin 1 holds tokens 4..7: token 4 → e1 (4), 5 → e2 (5), 6 → e0 (6), 7 → e1 (7).
        assertEquals((4 + 7) / 4f, b.mean(1, 1));
        assertEquals(5 / 4f, b.mean(1, 2));
        assertEquals(6 / 4f, b.mean(1, 0));
        assertEquals(4, b.binStart(1));
        assertEquals(8, b.binEnd(1));
    }

    @Test
    void theLastBinAveragesOnlyTheTokensItHas() {
        BinnedRouting b = BinnedRouting.of(ramp(9), 4); // bins of 3: {0,1,2} {3,4,5} {6,7,8}
        assertEquals(3, b.binSize());
        assertEquals(3, b.bins());
        b = BinnedRouting.of(ramp(7), 3); // bins of 3: {0,1,2} {3,4,5} {6}
        assertEquals(3, b.bins());
        assertEquals(6, b.binStart(2));
        assertEquals(7, b.binEnd(2));
        assertEquals(6f, b.mean(2, 0));
        assertEquals(6f, b.maxMean());
    }
}
