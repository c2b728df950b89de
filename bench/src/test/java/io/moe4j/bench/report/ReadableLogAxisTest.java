package io.moe4j.bench.report;

import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.ui.TextAnchor;
import org.junit.jupiter.api.Test;

import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReadableLogAxisTest {
    private static final DecimalFormat FORMAT = new DecimalFormat("#,##0.####", DecimalFormatSymbols.getInstance(Locale.ROOT));

    private static List<String> labels(double lo, double hi) {
        return ReadableLogAxis.ticks(lo, hi, FORMAT, TextAnchor.CENTER).stream()
                .filter(t -> t.getTickType() == TickType.MAJOR).map(NumberTick::getText).toList();
    }

    @Test
    void aNarrowRangeIsLabelledAtOneTwoAndFive() {
        assertEquals(List.of("0.2", "0.5", "1", "2", "5", "10", "20", "50", "100", "200"), labels(0.2, 300));
    }

    @Test
    void aWideRangeIsLabelledAtDecadesOnly() {
        assertEquals(List.of("0.001", "0.01", "0.1", "1", "10", "100", "1,000"), labels(0.001, 1000));
    }

    @Test
    void minorTicksFillTheDecadesWithoutLabels() {
        List<NumberTick> ticks = ReadableLogAxis.ticks(3, 11, FORMAT, TextAnchor.CENTER);
        assertEquals(List.of(3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0), ticks.stream().map(t -> t.getNumber().doubleValue()).toList());
        assertEquals("", ticks.getFirst().getText());
        assertEquals(TickType.MINOR, ticks.getFirst().getTickType());
    }
}
