package io.moe4j.bench.report;

import io.moe4j.bench.BenchRow;

import java.awt.Color;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One colour per weight dtype, the same in the roofline plot and the page's table. The common dtypes keep fixed
 * colours so that pictures from different runs compare at a glance; the Okabe–Ito palette stays distinguishable
 * for colour-blind readers.
 */
final class DtypeColors {
    private static final Map<String, Color> FIXED = Map.of(
            "f32", new Color(0x0072B2),
            "bf16", new Color(0xE69F00),
            "f16", new Color(0x009E73));
    private static final List<Color> OTHERS = List.of(
            new Color(0xCC79A7), new Color(0xD55E00), new Color(0x56B4E9), new Color(0x7F6A00), new Color(0x000000));

    private DtypeColors() {}

    /** Colours for the dtypes of {@code rows}, in order of first appearance. */
    static Map<String, Color> of(List<BenchRow> rows) {
        Map<String, Color> colours = new LinkedHashMap<>();
        int next = 0;
        for (BenchRow row : rows) {
            if (colours.containsKey(row.dtype())) continue;
            Color fixed = FIXED.get(row.dtype());
            colours.put(row.dtype(), fixed != null ? fixed : OTHERS.get(next++ % OTHERS.size()));
        }
        return colours;
    }

    static String hex(Color colour) {
        return String.format("#%06x", colour.getRGB() & 0xffffff);
    }
}
