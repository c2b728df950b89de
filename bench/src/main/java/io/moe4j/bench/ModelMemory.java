package io.moe4j.bench;

/**
 * Memory of the {@code --model} test, against the models issue's budget (resident memory at most the mapped
 * weights plus the KV cache plus 10%, and no Java heap allocated per decoded token once warm).
 *
 * @param residentBytes        the process's resident set after the timed runs ({@code VmRSS}), or -1 where the OS
 *                             does not say
 * @param weightBytes          bytes of the checkpoint's tensors (mapped, not copied)
 * @param kvCacheBytes         bytes of the session's KV cache
 * @param heapBytesPerToken    Java heap allocated during the timed decode runs by the application's threads (the
 *                             caller and the engine's workers; not the JIT compiler threads), per decoded token, or
 *                             -1 where the JVM cannot count it
 */
public record ModelMemory(long residentBytes, long weightBytes, long kvCacheBytes, double heapBytesPerToken) {
    /** Resident memory as a multiple of weights + KV cache (the budget is 1.10), or NaN when unknown. */
    public double residentOverBudget() {
        return residentBytes < 0 ? Double.NaN : residentBytes / (double) (weightBytes + kvCacheBytes);
    }
}
