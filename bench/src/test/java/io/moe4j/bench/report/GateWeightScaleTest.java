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
    void theBoundIsRoundedUpToATenth() {
        assertEquals(0.7, GateWeightScale.covering(0.66).getUpperBound(), 1e-12);
        assertEquals(0.5, GateWeightScale.covering(0.5).getUpperBound(), 1e-12);
        assertEquals(1, GateWeightScale.covering(0).getUpperBound(), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> new GateWeightScale(0));
    }
}
