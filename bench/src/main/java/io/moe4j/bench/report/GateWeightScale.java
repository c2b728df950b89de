package io.moe4j.bench.report;

import org.jfree.chart.renderer.PaintScale;

import java.awt.Color;
import java.awt.Paint;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Arrays;

/**
 * Colours for gate weights: viridis from 0 to the upper bound (perceptually even, readable in grey and by
 * colour-blind readers), and white for exactly 0, so that "not routed here" stands apart from "routed with a
 * small weight".
 */
record GateWeightScale(double upperBound) implements PaintScale {
    static final Color NOT_ROUTED = Color.WHITE;

    /** Viridis at nine evenly spaced stops (matplotlib's values). */
    private static final int[] VIRIDIS = {
            0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725};

    GateWeightScale {
        if (!(upperBound > 0) || Double.isInfinite(upperBound)) {
            throw new IllegalArgumentException("gate weight scale needs a positive upper bound, got " + upperBound);
        }
    }

    /** Share of the non-zero cells the colours spread over; the rest, the outliers, take the top colour. */
    static final double COVERED = 0.99;

    /**
     * A bound at the 99th percentile of the non-zero weights, rounded up to two significant digits. Taking the
     * maximum instead would let one outlier cell squeeze every other cell into the dark end, which happens with
     * binned maps, where means over many tokens are small and a few bins stand out.
     */
    static GateWeightScale covering(float[] weights) {
        float[] nonZero = new float[weights.length];
        int n = 0;
        for (float w : weights) if (w > 0) nonZero[n++] = w;
        if (n == 0) return new GateWeightScale(1);
        Arrays.sort(nonZero, 0, n);
        double quantile = nonZero[(int) Math.ceil(COVERED * n) - 1];
        return new GateWeightScale(new BigDecimal(quantile).round(new MathContext(2, RoundingMode.CEILING)).doubleValue());
    }

    /** The bound as the colour bar's label writes it: 0.066, 0.7, 1. */
    String upperBoundText() {
        return BigDecimal.valueOf(upperBound).stripTrailingZeros().toPlainString();
    }

    @Override
    public double getLowerBound() {
        return 0;
    }

    @Override
    public double getUpperBound() {
        return upperBound;
    }

    @Override
    public Paint getPaint(double value) {
        if (value == 0 || Double.isNaN(value)) return NOT_ROUTED;
        double position = Math.clamp(value / upperBound, 0, 1) * (VIRIDIS.length - 1);
        int stop = Math.min((int) position, VIRIDIS.length - 2);
        double f = position - stop;
        return mix(new Color(VIRIDIS[stop]), new Color(VIRIDIS[stop + 1]), f);
    }

    private static Color mix(Color a, Color b, double f) {
        return new Color(
                (int) Math.round(a.getRed() + (b.getRed() - a.getRed()) * f),
                (int) Math.round(a.getGreen() + (b.getGreen() - a.getGreen()) * f),
                (int) Math.round(a.getBlue() + (b.getBlue() - a.getBlue()) * f));
    }
}
