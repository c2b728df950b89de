package io.moe4j.bench.report;

import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;

import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A base-10 log axis labelled in plain numbers at 1, 2 and 5 of each decade (only at the decades when the range
 * spans more than {@link #FINE_DECADES}), with unlabelled minor ticks between. JFreeChart's own log axis labels
 * decades only, which leaves a two-decade plot with two numbers to read values by.
 */
final class ReadableLogAxis extends LogAxis {
    private static final double FINE_DECADES = 4;

    private final DecimalFormat format = new DecimalFormat("#,##0.####", DecimalFormatSymbols.getInstance(Locale.ROOT));

    ReadableLogAxis(String label, double lower, double upper) {
        super(label);
        setAutoRange(false);
        setRange(lower, upper);
        setMinorTickMarksVisible(true);
    }

    /** The tick values and labels for [lower, upper]: package-visible so that tests can check them. */
    static List<NumberTick> ticks(double lower, double upper, DecimalFormat format, TextAnchor anchor) {
        boolean fine = Math.log10(upper / lower) <= FINE_DECADES;
        List<NumberTick> ticks = new ArrayList<>();
        for (int power = (int) Math.floor(Math.log10(lower)); power <= (int) Math.ceil(Math.log10(upper)); power++) {
            for (int mantissa = 1; mantissa <= 9; mantissa++) {
                // From the decimal string, so that 3 × 10⁻¹ is 0.3 and not 0.30000000000000004.
                double value = Double.parseDouble(mantissa + "e" + power);
                if (value < lower || value > upper) continue;
                boolean labelled = mantissa == 1 || fine && (mantissa == 2 || mantissa == 5);
                ticks.add(new NumberTick(labelled ? TickType.MAJOR : TickType.MINOR, value,
                        labelled ? format.format(value) : "", anchor, anchor, 0));
            }
        }
        return ticks;
    }

    @Override
    @SuppressWarnings("rawtypes") // the overridden method's signature
    public List refreshTicks(Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
        TextAnchor anchor = edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER
                : edge == RectangleEdge.BOTTOM ? TextAnchor.TOP_CENTER
                : edge == RectangleEdge.LEFT ? TextAnchor.CENTER_RIGHT
                : TextAnchor.CENTER_LEFT;
        List<ValueTick> ticks = new ArrayList<>(ticks(getLowerBound(), getUpperBound(), format, anchor));
        return ticks;
    }
}
