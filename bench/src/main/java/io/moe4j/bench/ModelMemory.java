package io.moe4j.bench;

/**
 * Memory of the {@code --model} test, against the models issue's budget (resident memory at most the mapped
 * weights plus the KV cache plus 10%, and no Java heap allocated per decoded token once warm).
 *
 * @param residentBytes        the process's resident set after the timed runs ({@code VmRSS}), or -1 where the OS
 *                             does not say
 * @param weightBytes          bytes of the checkpoint's tensors (mapped, not copied)
 * @param kvCacheBytes         bytes of the session's KV cache
 * @param heapBytesPerToken    Java heap allocated by the application's threads (the caller and the engine's workers;
 *                             not the JIT compiler threads) per decoded token: the median over the timed decode runs,
 *                             each run's bytes divided by its tokens — the steady state, as the timings are medians —
 *                             or -1 where the JVM cannot count it
 * @param heapBytesPerTokenMax the same for the run that allocated most: one-off work that happens to fall in a run
 *                             (HotSpot resolves a class's string constants in the thread that queues its first C2
 *                             compile) shows here and not in the median; -1 where not counted
 */
public record ModelMemory(long residentBytes, long weightBytes, long kvCacheBytes, double heapBytesPerToken,
                          double heapBytesPerTokenMax) {
    /** Resident memory as a multiple of weights + KV cache (the budget is 1.10), or NaN when unknown. */
    public double residentOverBudget() {
        return residentBytes < 0 ? Double.NaN : residentBytes / (double) (weightBytes + kvCacheBytes);
    }
}
