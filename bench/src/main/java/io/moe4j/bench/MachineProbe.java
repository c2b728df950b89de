package io.moe4j.bench;

import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.backend.cpu.probe.FmaPeak;
import io.moe4j.engine.backend.cpu.probe.ReadBandwidth;

/** Measures the machine's limits with the engine's own worker pool, so rows are judged against what its threads can do. */
public final class MachineProbe {
    /** ≫ any last-level cache we expect (server L3s reach a few hundred MB only across sockets). */
    static final long READ_BUFFER_BYTES = 1L << 30;
    static final int RUNS = 5;

    private MachineProbe() {}

    public static MachineLimits measure(WorkerPool pool) {
        return measure(pool, READ_BUFFER_BYTES, RUNS);
    }

    /** Untimed runs of each probe last at least this long: page faults, then C2's final code (not the OSR'd loop). */
    static final long WARMUP_NANOS = 500_000_000L;

    /** Best of {@code runs} after untimed runs that fault the pages in and let the JIT compile the loops. */
    public static MachineLimits measure(WorkerPool pool, long readBytes, int runs) {
        double read;
        try (ReadBandwidth bandwidth = new ReadBandwidth(pool, readBytes)) {
            for (long start = System.nanoTime(); System.nanoTime() - start < WARMUP_NANOS; ) bandwidth.readOnce();
            read = bandwidth.bestGbPerSecond(runs);
        }
        FmaPeak fma = new FmaPeak(pool);
        for (long start = System.nanoTime(); System.nanoTime() - start < WARMUP_NANOS; ) fma.runOnce();
        return new MachineLimits(read, fma.bestGflopPerSecond(runs), pool.threads());
    }
}
