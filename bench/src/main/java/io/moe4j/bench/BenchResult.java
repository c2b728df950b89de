package io.moe4j.bench;

import java.util.List;

/**
 * Everything one {@code moe4j bench} run measured: the machine's limits, then the rows judged against them.
 *
 * @param environment what ran (CPU, OS, JVM, versions), for comparing runs over time
 * @param rows        layer rows in the order they ran
 * @param model       end-to-end prefill/decode numbers when {@code --model} was given, else null
 */
public record BenchResult(Environment environment, MachineLimits machine, List<BenchRow> rows, ModelResult model) {
    public BenchResult {
        rows = List.copyOf(rows);
    }
}
