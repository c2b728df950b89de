package io.moe4j.bench;

/**
 * One measured row of the table: a layer shape, a weight dtype and a batch of T tokens.
 *
 * @param expertLoad rows each expert received in the last measured call
 * @param dropped    (token, choice) pairs that capacity limits dropped
 * @param routing    the routing of the measured batch, for the heatmap (from one extra untimed call: the same as
 *                   the measured calls' unless the router draws random numbers per call)
 * @param twin       the C twin's times for the same row, or null when the twin did not run
 */
public record BenchRow(String shape, String dtype, int tokens, String router, Timing timing, RowCost cost,
                       long[] expertLoad, long dropped, RoutingMap routing, Timing twin) {

    /** This row with {@code more} measured Java runs added to its own. */
    public BenchRow withMoreRuns(double[] more) {
        return new BenchRow(shape, dtype, tokens, router, timing.plus(more), cost, expertLoad, dropped, routing, twin);
    }

    /** This row with the C twin's times. */
    public BenchRow withTwin(Timing twinTiming) {
        return new BenchRow(shape, dtype, tokens, router, timing, cost, expertLoad, dropped, routing, twinTiming);
    }

    public double msMedian() { return timing.median(); }

    public double tokensPerS() { return tokens / seconds(); }

    public double gbPerS() { return cost.bytes() / seconds() / 1e9; }

    public double gflopPerS() { return cost.flops() / seconds() / 1e9; }

    public double pctReadBandwidth(MachineLimits machine) { return 100 * gbPerS() / machine.readGbPerS(); }

    public double pctFmaPeak(MachineLimits machine) { return 100 * gflopPerS() / machine.fmaGflopPerS(); }

    /** Arithmetic intensity, FLOPs per weight byte: the x coordinate of the roofline plot. */
    public double flopsPerByte() { return cost.bytes() == 0 ? 0 : cost.flops() / cost.bytes(); }

    public int expertsUsed() {
        int used = 0;
        for (long load : expertLoad) if (load > 0) used++;
        return used;
    }

    /** Busiest expert's load over the mean load (1 = perfectly even; E/k… when one expert takes everything). */
    public double loadSpread() {
        long max = 0, sum = 0;
        for (long load : expertLoad) {
            max = Math.max(max, load);
            sum += load;
        }
        return sum == 0 ? 0 : (double) max * expertLoad.length / sum;
    }

    /** Java time over C time (medians); NaN when the twin did not run. */
    public double javaOverC() { return twin == null ? Double.NaN : timing.median() / twin.median(); }

    private double seconds() { return timing.median() / 1e3; }
}
