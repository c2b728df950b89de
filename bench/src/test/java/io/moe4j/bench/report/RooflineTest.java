package io.moe4j.bench.report;

import io.moe4j.bench.BenchRow;
import io.moe4j.bench.LayerShape;
import io.moe4j.bench.MachineLimits;
import io.moe4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RooflineTest {
    private final Roofline roof = Roofline.of(new MachineLimits(20, 150, 2));

    @Test
    void ridgeIsWhereBandwidthTimesIntensityReachesThePeak() {
        assertEquals(7.5, roof.ridge(), 1e-12); // 150 GFLOP/s ÷ 20 GB/s
        assertEquals(roof.fmaGflopPerS(), roof.readGbPerS() * roof.ridge(), 1e-9);
    }

    @Test
    void bandwidthBindsLeftOfTheRidgeAndComputeRightOfIt() {
        assertEquals(10, roof.attainable(0.5), 1e-12);
        assertEquals(80, roof.attainable(4), 1e-12);
        assertEquals(150, roof.attainable(7.5), 1e-9);
        assertEquals(150, roof.attainable(64), 1e-12);
        assertTrue(roof.memoryBound(4));
        assertFalse(roof.memoryBound(64));
    }

    @Test
    void percentOfRoofComparesARowWithTheCeilingAboveIt() {
        // The sample times are 80 % of bandwidth-bound speed at T=1 and 60 % of the FMA peak at T=512.
        BenchRow decode = SampleResults.row(LayerShape.MIXTRAL, DType.F32, 1, "softmax_topk", false);
        BenchRow prefill = SampleResults.row(LayerShape.MIXTRAL, DType.F32, 512, "softmax_topk", false);
        assertEquals(0.5, decode.flopsPerByte(), 1e-12);
        assertEquals(100 * decode.gflopPerS() / 10, roof.pctOfRoof(decode), 1e-9);
        assertEquals(100 * prefill.gflopPerS() / 150, roof.pctOfRoof(prefill), 1e-9);
        assertEquals(79.8, roof.pctOfRoof(decode), 0.5);
        assertEquals(59.9, roof.pctOfRoof(prefill), 0.5);
    }

    @Test
    void limitsThatCannotMakeARoofAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Roofline(0, 150));
        assertTrue(e.getMessage().contains("read bandwidth"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Roofline(20, Double.NaN));
    }
}
