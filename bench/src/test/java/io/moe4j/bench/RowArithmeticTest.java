package io.moe4j.bench;

import io.moe4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bytes, FLOPs, rates and percentages of a row, checked by hand on Mixtral's dims. */
class RowArithmeticTest {
    static final LayerShape MIXTRAL = LayerShape.MIXTRAL;

    @Test
    void decodeReadsTwoExpertsAndDoesSixDFPerAssignmentTwice() {
        long[] loads = {0, 1, 0, 0, 0, 1, 0, 0};
        RowCost f32 = RowCost.of(MIXTRAL, DType.F32, loads);
        assertEquals(2L * 3 * 4096 * 14336 * 4, f32.bytes()); // 1 409 286 144 bytes
        assertEquals(2.0 * 2 * 3 * 4096 * 14336, f32.flops());
        RowCost bf16 = RowCost.of(MIXTRAL, DType.BF16, loads);
        assertEquals(f32.bytes() / 2, bf16.bytes());
        assertEquals(f32.flops(), bf16.flops());
    }

    @Test
    void everyUsedExpertCountsOnceWhateverItsLoad() {
        long[] loads = {100, 0, 3, 1, 0, 0, 0, 0};
        RowCost c = RowCost.of(MIXTRAL, DType.BF16, loads);
        assertEquals(3L * 3 * 4096 * 14336 * 2, c.bytes());
        assertEquals(104 * 6.0 * 4096 * 14336, c.flops());
        assertThrows(IllegalArgumentException.class, () -> RowCost.of(MIXTRAL, DType.F32, new long[7]));
    }

    @Test
    void ratesAndPercentagesFollowFromTheMedian() {
        long[] loads = {0, 1, 0, 0, 0, 1, 0, 0};
        RowCost cost = RowCost.of(MIXTRAL, DType.F32, loads);
        // median 70 ms of {90, 70, 60}: 1.409 GB / 0.07 s = 20.13 GB/s
        BenchRow row = new BenchRow("mixtral", "f32", 1, "softmax_topk", new Timing(new double[] {90, 70, 60}), cost,
                loads, 0, new RoutingMap(1, 8, new float[8]), null);
        MachineLimits machine = new MachineLimits(25.0, 200.0, 2);
        assertEquals(70, row.msMedian(), 0);
        assertEquals(1 / 0.07, row.tokensPerS(), 1e-9);
        assertEquals(cost.bytes() / 0.07 / 1e9, row.gbPerS(), 1e-9);
        assertEquals(20.132659, row.gbPerS(), 1e-5);
        assertEquals(cost.flops() / 0.07 / 1e9, row.gflopPerS(), 1e-9);
        assertEquals(100 * row.gbPerS() / 25.0, row.pctReadBandwidth(machine), 1e-9);
        assertEquals(80.530637, row.pctReadBandwidth(machine), 1e-5);
        assertEquals(100 * row.gflopPerS() / 200.0, row.pctFmaPeak(machine), 1e-9);
        assertEquals(0.5, row.flopsPerByte(), 1e-12); // f32 decode: 2 FLOPs per 4-byte weight
        assertEquals(2, row.expertsUsed());
        assertEquals(4.0, row.loadSpread(), 1e-12); // max 1 over mean 2/8
        assertTrue(Double.isNaN(row.javaOverC()));
        assertEquals(70.0 / 35.0, row.withTwin(new Timing(new double[] {35})).javaOverC(), 1e-12);
        // Java timed again after the twin: the ratio is over all six Java runs
        BenchRow both = row.withMoreRuns(new double[] {40, 50, 45}).withTwin(new Timing(new double[] {25}));
        assertEquals(6, both.timing().runs());
        assertEquals(55.0 / 25.0, both.javaOverC(), 1e-12);
        assertEquals(3, row.timing().runs(), "the row it came from is unchanged");
    }

    @Test
    void medianMinMax() {
        Timing odd = new Timing(new double[] {5, 1, 3});
        assertEquals(3, odd.median());
        assertEquals(1, odd.min());
        assertEquals(5, odd.max());
        assertEquals(2.5, new Timing(new double[] {4, 1, 2, 3}).median());
        assertThrows(IllegalArgumentException.class, () -> new Timing(new double[0]));
    }

    @Test
    void shapesParse() {
        assertEquals(MIXTRAL, LayerShape.parse("mixtral"));
        assertEquals(LayerShape.DBRX, LayerShape.parse("DBRX"));
        LayerShape custom = LayerShape.parse("2048, 7168,8,2");
        assertEquals(2048, custom.model());
        assertEquals(7168, custom.ffn());
        assertEquals(8, custom.experts());
        assertEquals(2, custom.topK());
        assertEquals("unknown shape 'llama': use mixtral, dbrx or D,F,E,k (e.g. 2048,7168,8,2)",
                assertThrows(IllegalArgumentException.class, () -> LayerShape.parse("llama")).getMessage());
        assertEquals("shape '64,x,8,2': F is not an integer: 'x'",
                assertThrows(IllegalArgumentException.class, () -> LayerShape.parse("64,x,8,2")).getMessage());
        assertEquals("shape 64,64,4,5: k=5 > E=4",
                assertThrows(IllegalArgumentException.class, () -> LayerShape.parse("64,64,4,5")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> LayerShape.parse("0,64,4,2"));
    }
}
