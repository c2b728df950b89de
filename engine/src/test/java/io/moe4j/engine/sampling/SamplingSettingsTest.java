package io.moe4j.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplingSettingsTest {

    @Test
    void defaultsAreGreedy() {
        assertTrue(SamplingSettings.GREEDY.isGreedy());
        assertEquals(new SamplingSettings(0f, 0, 1f, 0L), SamplingSettings.greedy());
        assertTrue(new Sampler().settings().isGreedy());
        assertFalse(SamplingSettings.temperature(0.7f, 1).isGreedy());
    }

    @Test
    void acceptsTheEdgesOfEachRange() {
        new SamplingSettings(0f, 0, 1f, Long.MIN_VALUE);
        new SamplingSettings(Float.MAX_VALUE, Integer.MAX_VALUE, Float.MIN_VALUE, -1);
        new SamplingSettings(Float.MIN_VALUE, 1, 0.5f, 42);
        SamplingSettings s = SamplingSettings.greedy().withTemperature(0.8f).withTopK(40).withTopP(0.95f).withSeed(7);
        assertEquals(new SamplingSettings(0.8f, 40, 0.95f, 7), s);
    }

    @Test
    void temperatureMustBeFiniteAndNonNegative() {
        for (float t : new float[] {-1f, -Float.MIN_VALUE, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new SamplingSettings(t, 0, 1f, 0));
            assertTrue(e.getMessage().startsWith("temperature must be finite and >= 0"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got " + t), e.getMessage());
        }
    }

    @Test
    void topKMustBeNonNegative() {
        var e = assertThrows(IllegalArgumentException.class, () -> new SamplingSettings(1f, -1, 1f, 0));
        assertEquals("topK must be >= 0 (0 = off), got -1", e.getMessage());
    }

    @Test
    void topPMustBeInTheHalfOpenUnitInterval() {
        for (float p : new float[] {0f, -0f, -0.1f, 1.0000001f, 1.5f, Float.NaN, Float.POSITIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new SamplingSettings(1f, 0, p, 0));
            assertEquals("topP must be in (0, 1] (1 = off), got " + p, e.getMessage());
        }
    }
}
