package io.moe4j.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

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
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean observable = jit != null && jit.isCompilationTimeMonitoringSupported();
        long start = System.nanoTime();
        long compiled = observable ? jit.getTotalCompilationTime() : 0;
        int calls = 0, quiet = 0;
        while (true) {
            call.run();
            calls++;
            long now = observable ? jit.getTotalCompilationTime() : compiled;
            quiet = now == compiled ? quiet + 1 : 0;
            compiled = now;
            long elapsed = System.nanoTime() - start;
            if (elapsed >= MAX_NANOS || elapsed >= MIN_NANOS && quiet >= QUIET_CALLS) return calls;
        }
    }
}
