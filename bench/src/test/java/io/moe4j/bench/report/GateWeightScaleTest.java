package io.moe4j.bench.report;

import org.junit.jupiter.api.Test;

import java.awt.Color;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GateWeightScaleTest {
    @Test
    void zeroIsWhiteAndTheRangeRunsThroughViridis() {
        GateWeightScale scale = new GateWeightScale(0.7);
        assertEquals(Color.WHITE, scale.getPaint(0));
        assertEquals(new Color(0x440154), scale.getPaint(1e-9));
        assertEquals(new Color(0x21918c), scale.getPaint(0.35));
        assertEquals(new Color(0xfde725), scale.getPaint(0.7));
        assertEquals(new Color(0xfde725), scale.getPaint(5), "beyond the bound clamps to the top colour");
        assertNotEquals(scale.getPaint(0.3), scale.getPaint(0.31));
    }

    @Test
    void theBoundIsTheLargestWeightRoundedUpToTwoDigits() {
        assertEquals(0.66, GateWeightScale.covering(new float[] {0, 0.3f, 0.655f}).getUpperBound(), 1e-12);
        assertEquals(0.7, GateWeightScale.covering(new float[] {0.7f, 0.1f}).getUpperBound(), 1e-12);
        assertEquals("0.7", GateWeightScale.covering(new float[] {0.7f, 0.1f}).upperBoundText());
        assertEquals(1, GateWeightScale.covering(new float[] {0, 0}).getUpperBound(), 1e-12, "nothing routed");
        assertThrows(IllegalArgumentException.class, () -> new GateWeightScale(0));
    }

    @Test
    void aFewOutliersDoNotSqueezeTheRestIntoTheDarkEnd() {
        float[] weights = new float[1000];
        java.util.Arrays.fill(weights, 0.02f);
        for (int i = 0; i < 5; i++) weights[i] = 0.2f; // 0.5 % outliers
        for (int i = 5; i < 500; i += 5) weights[i] = 0.065f;
        GateWeightScale scale = GateWeightScale.covering(weights);
        assertEquals(0.065, scale.getUpperBound(), 1e-12);
        assertEquals("0.065", scale.upperBoundText());
        assertEquals(new Color(0xfde725), scale.getPaint(0.2));
    }
}
