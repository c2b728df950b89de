package io.moe4j.bench.report;

import io.moe4j.bench.BenchRow;
import io.moe4j.bench.MachineLimits;

/**
 * The roofline model of this machine: at arithmetic intensity x (FLOPs per byte of weight traffic) a kernel can
 * reach at most {@code min(read GB/s × x, FMA GFLOP/s)} GFLOP/s. Left of the ridge the bandwidth ceiling binds,
 * right of it the compute ceiling.
 */
record Roofline(double readGbPerS, double fmaGflopPerS) {
    Roofline {
        if (!(readGbPerS > 0) || Double.isInfinite(readGbPerS)) {
            throw new IllegalArgumentException("cannot draw a roofline: read bandwidth must be a positive number of GB/s, got " + readGbPerS);
        }
        if (!(fmaGflopPerS > 0) || Double.isInfinite(fmaGflopPerS)) {
            throw new IllegalArgumentException("cannot draw a roofline: FMA peak must be a positive number of GFLOP/s, got " + fmaGflopPerS);
        }
    }

    static Roofline of(MachineLimits machine) {
        return new Roofline(machine.readGbPerS(), machine.fmaGflopPerS());
    }

    /** The intensity (FLOP/byte) where the two ceilings meet: GFLOP/s over GB/s. */
    double ridge() {
        return fmaGflopPerS / readGbPerS;
    }

    /** The highest GFLOP/s the machine allows at this intensity (GB/s × FLOP/B = GFLOP/s). */
    double attainable(double flopsPerByte) {
        return Math.min(readGbPerS * flopsPerByte, fmaGflopPerS);
    }

    boolean memoryBound(double flopsPerByte) {
        return flopsPerByte < ridge();
    }

    /** How close a row came to the roof above it, in percent; NaN when it has no intensity to place it by. */
    double pctOfRoof(BenchRow row) {
        double x = row.flopsPerByte();
        return x > 0 ? 100 * row.gflopPerS() / attainable(x) : Double.NaN;
    }
}
