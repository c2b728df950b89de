package io.moe4j.engine.backend.cpu;

/**
 * One piece of data-parallel work split into numbered chunks, run by {@link WorkerPool#run(ParallelTask, int)}.
 *
 * <p>Hot call sites keep one task object and refill its fields before each run instead of passing a fresh
 * lambda, so that running it allocates nothing. {@link #run(int)} is called concurrently from several threads,
 * each time with a different chunk index, and must only write state that belongs to that chunk.
 */
@FunctionalInterface
public interface ParallelTask {
    /** Does the work of chunk {@code chunk}, {@code 0 <= chunk < chunks}. */
    void run(int chunk);
}
