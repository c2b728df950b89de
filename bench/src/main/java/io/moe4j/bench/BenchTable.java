package io.moe4j.bench;

import java.util.Locale;

/**
 * The table {@code moe4j bench} prints, one row per (shape, dtype, T), in the spirit of llama-bench: markdown pipes,
 * so it pastes into an issue or a README as is.
 */
public final class BenchTable {
    private final MachineLimits machine;
    private final boolean twin;

    public BenchTable(MachineLimits machine, boolean twin) {
        this.machine = machine;
        this.twin = twin;
    }

    /** The lines above the table: the machine's limits. */
    public static String machineLine(MachineLimits m) {
        return String.format(Locale.ROOT, "machine: read %.1f GB/s, FMA peak %.1f GFLOP/s (%d threads, best of %d)",
                m.readGbPerS(), m.fmaGflopPerS(), m.threads(), MachineProbe.RUNS);
    }

    public String header() {
        String h = "| shape | dtype | T | router | ms median (min–max) | tokens/s | GB/s | GFLOP/s | % read bw | % FMA peak | experts used | load spread | drops |";
        String rule = "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
        if (twin) {
            h += " C ms median | Java/C |";
            rule += " ---: | ---: |";
        }
        return h + System.lineSeparator() + rule;
    }

    public String line(BenchRow r) {
        String s = String.format(Locale.ROOT, "| %s | %s | %d | %s | %s (%s–%s) | %s | %s | %s | %.1f | %.1f | %d/%d | %.2f | %d |",
                r.shape(), r.dtype(), r.tokens(), r.router(), ms(r.msMedian()), ms(r.timing().min()), ms(r.timing().max()),
                rate(r.tokensPerS()), ms(r.gbPerS()), ms(r.gflopPerS()), r.pctReadBandwidth(machine), r.pctFmaPeak(machine),
                r.expertsUsed(), r.expertLoad().length, r.loadSpread(), r.dropped());
        if (twin) {
            s += r.twin() == null ? " – | – |"
                    : String.format(Locale.ROOT, " %s | %.3f |", ms(r.twin().median()), r.javaOverC());
        }
        return s;
    }

    public static String modelLines(ModelResult m) {
        return String.format(Locale.ROOT, "| model | dtype | test | ms median (min–max) | tokens/s |%n| --- | --- | --- | ---: | ---: |%n"
                        + "| %s | %s | pp%d | %s (%s–%s) | %s |%n| %s | %s | tg%d | %s (%s–%s) | %s |",
                m.model(), m.dtype(), m.promptTokens(), ms(m.prefill().median()), ms(m.prefill().min()), ms(m.prefill().max()),
                rate(m.prefillTokensPerS()),
                m.model(), m.dtype(), m.decodeTokens(), ms(m.decode().median()), ms(m.decode().min()), ms(m.decode().max()),
                rate(m.decodeTokensPerS())) + memoryLine(m.memory());
    }

    /** Resident memory against weights + KV cache, and heap bytes per decoded token ("unknown" where not measurable). */
    static String memoryLine(ModelMemory memory) {
        if (memory == null) return "";
        String resident = memory.residentBytes() < 0 ? "unknown"
                : String.format(Locale.ROOT, "%s = %.3f × (weights %s + KV cache %s)", bytes(memory.residentBytes()),
                        memory.residentOverBudget(), bytes(memory.weightBytes()), bytes(memory.kvCacheBytes()));
        String heap = memory.heapBytesPerToken() < 0 ? "unknown"
                : String.format(Locale.ROOT, "%.1f B (median of the runs; largest run %.1f B; application threads)",
                        memory.heapBytesPerToken(), memory.heapBytesPerTokenMax());
        return String.format(Locale.ROOT, "%n%nmemory: resident %s; Java heap allocated per decoded token %s", resident, heap);
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", b / (double) (1L << 30));
        return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
    }

    /** About three significant digits at any magnitude (0.0123, 1.23, 12.3, 123, 12345). */
    static String ms(double v) {
        if (v >= 100) return String.format(Locale.ROOT, "%.0f", v);
        if (v >= 10) return String.format(Locale.ROOT, "%.1f", v);
        if (v >= 1) return String.format(Locale.ROOT, "%.2f", v);
        return String.format(Locale.ROOT, "%.3g", v);
    }

    static String rate(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }
}
