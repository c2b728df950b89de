package io.moe4j.bench.report;

import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

class NumbersTest {
    @Test
    void aboutThreeSignificantDigitsAndNoExponent() {
        assertEquals("4017", Numbers.format(4016.7));
        assertEquals("128", Numbers.format(128));
        assertEquals("88.3", Numbers.format(88.27));
        assertEquals("7.50", Numbers.format(7.5));
        assertEquals("0.702", Numbers.format(0.7019));
        assertEquals("0.0123", Numbers.format(0.012345));
        assertEquals("-1.50", Numbers.format(-1.5));
        assertEquals("0", Numbers.format(0));
    }

    @Test
    void missingValuesShowAsADash() {
        assertEquals("–", Numbers.format(Double.NaN));
        assertEquals("–", Numbers.format(Double.POSITIVE_INFINITY));
        assertEquals("–", Numbers.percent(Double.NaN));
    }

    @Test
    void theLocaleDoesNotChangeTheDecimalPoint() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals("12.3 %", Numbers.percent(12.34));
            assertEquals("2.50", Numbers.format(2.5));
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void countsAgreeWithTheirNoun() {
        assertEquals("1 thread", Numbers.count(1, "thread"));
        assertEquals("2 threads", Numbers.count(2, "thread"));
    }
}
