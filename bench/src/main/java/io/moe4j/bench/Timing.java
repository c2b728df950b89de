package io.moe4j.bench;

import java.util.Arrays;

/** Wall-clock times of the measured runs of one row, in milliseconds (warm-up runs are not in here). */
public record Timing(double[] ms) {
    public Timing {
        if (ms.length == 0) throw new IllegalArgumentException("no measured runs");
        ms = ms.clone();
    }

    /** These runs and {@code more}. */
    public Timing plus(double[] more) {
        double[] all = Arrays.copyOf(ms, ms.length + more.length);
        System.arraycopy(more, 0, all, ms.length, more.length);
        return new Timing(all);
    }

    public double median() {
        return median(ms);
    }

    /** The median of per-run measurements of any kind (times here, heap bytes per token in {@link ModelRun}). */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public double min() { return Arrays.stream(ms).min().orElseThrow(); }

    public double max() { return Arrays.stream(ms).max().orElseThrow(); }

    public int runs() { return ms.length; }
}
