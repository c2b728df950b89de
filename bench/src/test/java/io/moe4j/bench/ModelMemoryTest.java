package io.moe4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Test;

class ModelMemoryTest {
    @Test
    void residentMemoryIsComparedWithWeightsPlusKvCache() {
        ModelMemory m = new ModelMemory(3_300_000_000L, 3_000_000_000L, 0L, 0, 0);
        assertEquals(1.1, m.residentOverBudget(), 1e-12);
        assertTrue(Double.isNaN(new ModelMemory(-1, 1, 1, 0, 0).residentOverBudget()));
    }

    @Test
    void theTableLineSaysWhatWasMeasuredAndWhatWasNot() {
        String line = BenchTable.memoryLine(new ModelMemory(3L << 30, (5L << 30) / 2, 64L << 20, 0.0, 2.25));
        assertTrue(line.contains("resident 3.00 GiB = 1.171 × (weights 2.50 GiB + KV cache 64.0 MiB)"), line);
        assertTrue(line.contains("per decoded token 0.0 B (median of the runs; largest run 2.3 B"), line);
        String unknown = BenchTable.memoryLine(new ModelMemory(-1, 1, 1, -1, -1));
        assertTrue(unknown.contains("resident unknown") && unknown.contains("token unknown"), unknown);
    }

    @Test
    void thisProcessHasAResidentSetAndCountsItsHeapAllocations() {
        if (System.getProperty("os.name").startsWith("Linux")) assertTrue(ProcessMemory.residentBytes() > 1 << 20);
        long[] threads = ProcessMemory.applicationThreads();
        long before = ProcessMemory.allocatedHeapBytes(threads);
        byte[] garbage = new byte[1 << 20];
        long after = ProcessMemory.allocatedHeapBytes(threads);
        assertTrue(before < 0 || after - before >= garbage.length, before + " → " + after);
    }

    @Test
    void readingTheCounterAllocatesNothing() {
        if (!(java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || ProcessMemory.allocatedHeapBytes(ProcessMemory.applicationThreads()) < 0) return;
        long[] threads = ProcessMemory.applicationThreads();
        long garbage = 0;
        for (int round = 0; round < 20; round++) { // the first rounds may run in the interpreter
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1000; i++) garbage += ProcessMemory.allocatedHeapBytes(threads);
            if (mx.getCurrentThreadAllocatedBytes() - before == 0) return;
        }
        fail("1000 reads of the heap counter allocated in each of 20 rounds (" + garbage + ")");
    }
}
