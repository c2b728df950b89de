package io.moe4j.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** What this process holds: resident set (Linux {@code /proc}) and Java heap bytes allocated so far. */
final class ProcessMemory {
    private static final Path STATUS = Path.of("/proc/self/status");
    /** Looked up once: {@code ManagementFactory.getThreadMXBean()} allocates on every call. */
    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private ProcessMemory() {}

    /** The resident set size in bytes ({@code VmRSS}), or -1 where {@code /proc/self/status} does not give it. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Long.parseLong(parts[0]) * (parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? 1024 : 1);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1; // not Linux, or a format we do not know: unknown, never a failure of the benchmark
        }
        return -1;
    }

    /**
     * The application's threads as the JVM lists them ({@code ThreadMXBean.getAllThreadIds}): every Java thread,
     * the engine's workers included, but not the JIT compiler threads, which the JVM hides from that list. Taken
     * once before a measurement, because the array is itself heap garbage.
     */
    static long[] applicationThreads() {
        return THREADS.getAllThreadIds();
    }

    /**
     * Heap bytes allocated so far by {@code threads} (those still alive), or -1 where the JVM cannot tell. Reading it
     * allocates nothing. Compiler threads are left out on purpose: C1 and C2 allocate while they compile, which is
     * the JIT warming up, not the code being measured.
     */
    static long allocatedHeapBytes(long[] threads) {
        if (!(THREADS instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported() || !mx.isThreadAllocatedMemoryEnabled()) {
            return -1;
        }
        long bytes = 0;
        for (long id : threads) {
            long b = mx.getThreadAllocatedBytes(id);
            if (b > 0) bytes += b; // -1: the thread has ended
        }
        return bytes;
    }
}
