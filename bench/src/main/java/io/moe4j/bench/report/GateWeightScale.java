package io.moe4j.bench.report;

import org.jfree.chart.renderer.PaintScale;

import java.awt.Color;
import java.awt.Paint;

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

    /** A bound at or above {@code maxWeight} rounded up to a tenth, so the colour bar ends on a round number. */
    static GateWeightScale covering(double maxWeight) {
        return new GateWeightScale(maxWeight > 0 ? Math.ceil(maxWeight * 10 - 1e-9) / 10 : 1);
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
