package io.moe4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.BooleanSupplier;

/**
 * Untimed calls before a row is measured, until the JIT compiler has gone quiet. A fixed time is not enough: a
 * first call at Mixtral dims runs the Vector API kernels in the interpreter (about a second) and C2 then compiles
 * them, their callers and each M-specialised kernel over the next calls, so measured runs that start after half a
 * second still caught compilations (Java/C time ratios of 1.5-1.9 that were not the code's). Quiet means
 * {@link #QUIET_CALLS} whole calls during which no compilation finished, per the JVM's compilation counter.
 */
final class Warmup {
    /** Always at least this long: first-touch of scratch and caches, even when the JIT says nothing. */
    static final long MIN_NANOS = 500_000_000L;
    /** Never longer: a JIT busy with unrelated code (a progress thread, a service around us) must not stall us. */
    static final long MAX_NANOS = 8_000_000_000L;
    static final int QUIET_CALLS = 2;

    private Warmup() {}

    /** Runs {@code call} until warm; returns the number of calls made. */
    static int run(Runnable call) {
        return run(call, MAX_NANOS, () -> true);
    }

    /**
     * Runs {@code call} until warm or until {@code maxNanos} have passed; returns the number of calls made. A call
     * counts as quiet only if no compilation finished during it and {@code clean} (asked right after the call)
     * says yes, e.g. that the call allocated nothing: C2 compiles that are queued during a call can still make it
     * allocate (HotSpot resolves the class's string constants in the calling thread), and the compilation counter,
     * in whole milliseconds, misses short compilations.
     */
    static int run(Runnable call, long maxNanos, BooleanSupplier clean) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean observable = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        long compiled = observable ? jit.getTotalCompilationTime() : 0;
        int calls = 0, quiet = 0;
        while (true) {
            call.run();
            calls++;
            long now = observable ? jit.getTotalCompilationTime() : compiled;
            quiet = now == compiled && clean.getAsBoolean() ? quiet + 1 : 0;
            compiled = now;
            long elapsed = System.nanoTime() - start;
            if (elapsed >= maxNanos || elapsed >= MIN_NANOS && quiet >= QUIET_CALLS) return calls;
        }
    }
}
