package io.moe4j.models.tokenizer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a split does with the delimiters it finds ({@code SplitDelimiterBehavior} in {@code tokenizers}).
 * Splitting {@code "the-final--countdown"} on {@code '-'}:
 * <ul>
 *   <li>{@code Removed}: the, final, countdown</li>
 *   <li>{@code Isolated}: the, -, final, -, -, countdown</li>
 *   <li>{@code MergedWithPrevious}: the-, final-, -, countdown</li>
 *   <li>{@code MergedWithNext}: the, -final, -, -countdown</li>
 *   <li>{@code Contiguous}: the, -, final, --, countdown</li>
 * </ul>
 */
enum SplitBehavior {
    REMOVED("Removed"),
    ISOLATED("Isolated"),
    MERGED_WITH_PREVIOUS("MergedWithPrevious"),
    MERGED_WITH_NEXT("MergedWithNext"),
    CONTIGUOUS("Contiguous");

    /** A stretch {@code [start, end)} of a string and whether the pattern matched it. */
    record Range(int start, int end, boolean match) {}

    private final String jsonName;

    SplitBehavior(String jsonName) { this.jsonName = jsonName; }

    static SplitBehavior parse(JsonConfig config, String field) {
        String name = config.string(field);
        for (SplitBehavior behavior : values()) {
            if (behavior.jsonName.equals(name)) return behavior;
        }
        throw config.error("unknown split behavior \"" + name + "\"");
    }

    /**
     * The stretches to keep, given {@code ranges} that cover a string in order (matches and the gaps between
     * them). Empty stretches may remain; callers drop them.
     */
    List<Range> apply(List<Range> ranges) {
        return switch (this) {
            case ISOLATED -> ranges;
            case REMOVED -> ranges.stream().filter(r -> !r.match()).toList();
            case CONTIGUOUS -> contiguous(ranges);
            case MERGED_WITH_PREVIOUS -> mergedWithPrevious(ranges);
            case MERGED_WITH_NEXT -> mergedWithNext(ranges);
        };
    }

    private static List<Range> contiguous(List<Range> ranges) {
        List<Range> out = new ArrayList<>();
        boolean previousMatch = false;
        for (Range r : ranges) {
            if (r.match() == previousMatch && !out.isEmpty()) {
                Range last = out.removeLast();
                out.add(new Range(last.start(), r.end(), false));
            } else {
                out.add(r);
            }
            previousMatch = r.match();
        }
        return out;
    }

    private static List<Range> mergedWithPrevious(List<Range> ranges) {
        List<Range> out = new ArrayList<>();
        boolean previousMatch = false;
        for (Range r : ranges) {
            if (r.match() && !previousMatch && !out.isEmpty()) {
                Range last = out.removeLast();
                out.add(new Range(last.start(), r.end(), false));
            } else {
                out.add(r);
            }
            previousMatch = r.match();
        }
        return out;
    }

    private static List<Range> mergedWithNext(List<Range> ranges) {
        List<Range> out = new ArrayList<>();
        boolean nextMatch = false;
        for (Range r : ranges.reversed()) {
            if (r.match() && !nextMatch && !out.isEmpty()) {
                Range last = out.removeLast();
                out.add(new Range(r.start(), last.end(), false));
            } else {
                out.add(r);
            }
            nextMatch = r.match();
        }
        Collections.reverse(out);
        return out;
    }
}
