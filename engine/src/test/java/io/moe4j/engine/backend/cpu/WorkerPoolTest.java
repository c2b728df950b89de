package io.moe4j.engine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class WorkerPoolTest {

    /** Counts how often each chunk ran. */
    private static final class Counting implements ParallelTask {
        final AtomicIntegerArray runs;

        Counting(int chunks) {
            runs = new AtomicIntegerArray(Math.max(chunks, 1));
        }

        @Override
        public void run(int chunk) {
            runs.incrementAndGet(chunk);
        }

        void assertEachRanOnce(int chunks) {
            for (int c = 0; c < chunks; c++) assertEquals(1, runs.getAndSet(c, 0), "chunk " + c);
        }
    }

    @Test
    void runsEveryChunkExactlyOnceOverManyRuns() {
        for (int threads : new int[] {1, 2, 3, 4}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                assertEquals(threads, pool.threads());
                for (int chunks : new int[] {0, 1, 2, 3, 7, 64, 1000}) {
                    Counting task = new Counting(chunks);
                    for (int run = 0; run < 300; run++) {
                        pool.run(task, chunks);
                        task.assertEachRanOnce(chunks);
                    }
                }
            }
        }
    }

    @Test
    void resultsWrittenByWorkersAreVisibleToTheCaller() {
        try (WorkerPool pool = new WorkerPool(2)) {
            long[] out = new long[256]; // plain array: the run must publish the workers' writes
            long[] round = {0};
            ParallelTask task = c -> out[c] = round[0] * 1000 + c;
            for (int r = 1; r <= 2000; r++) {
                round[0] = r;
                pool.run(task, out.length);
                for (int c = 0; c < out.length; c++) assertEquals(r * 1000L + c, out[c]);
            }
        }
    }

    @Test
    void usesTheWorkerThreads() throws Exception {
        try (WorkerPool pool = new WorkerPool(2)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            CyclicBarrier both = new CyclicBarrier(2);
            // two chunks that wait for each other can only finish if two threads run them
            pool.run(c -> {
                seen.add(Thread.currentThread());
                try {
                    both.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, 2);
            assertEquals(2, seen.size());
            assertTrue(seen.contains(Thread.currentThread()));
            for (Thread t : seen) if (t != Thread.currentThread()) assertTrue(t.isDaemon());
        }
    }

    @Test
    void aFailingChunkIsRethrownAfterAllWorkersFinished() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int failing : new int[] {0, 1, 5, 99}) {
                AtomicInteger running = new AtomicInteger();
                IllegalArgumentException boom = new IllegalArgumentException("boom " + failing);
                WorkerPool.TaskException e = assertThrows(WorkerPool.TaskException.class, () -> pool.run(c -> {
                    running.incrementAndGet();
                    try {
                        if (c == failing) throw boom;
                        sleepMicros(200);
                    } finally {
                        running.decrementAndGet();
                    }
                }, 100));
                assertSame(boom, e.getCause());
                assertEquals(failing, e.chunk());
                assertEquals(0, running.get(), "a chunk was still running when run() threw");
                // the pool still works afterwards
                Counting ok = new Counting(50);
                pool.run(ok, 50);
                ok.assertEachRanOnce(50);
            }
            // a failure on the inline path (one chunk) is wrapped the same way
            Error err = new AssertionError("inline");
            WorkerPool.TaskException e = assertThrows(WorkerPool.TaskException.class, () -> pool.run(c -> { throw err; }, 1));
            assertSame(err, e.getCause());
        }
    }

    @Test
    void concurrentCallersAllCompleteCorrectly() throws Exception {
        try (WorkerPool pool = new WorkerPool(2)) {
            int callers = 4, runs = 2000;
            List<Thread> threads = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < callers; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        start.await();
                        int chunks = 17 + id;
                        long[] sums = new long[chunks];
                        long[] round = {0};
                        ParallelTask task = c -> sums[c] += round[0] + c;
                        long expected = 0;
                        for (int r = 0; r < runs; r++) {
                            round[0] = r;
                            pool.run(task, chunks);
                            expected += r;
                        }
                        for (int c = 0; c < chunks; c++) assertEquals(expected + (long) c * runs, sums[c], "caller " + id);
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                th.start();
                threads.add(th);
            }
            start.countDown();
            for (Thread th : threads) th.join();
            if (failure.get() != null) throw new AssertionError(failure.get());
        }
    }

    @Test
    void aTaskMayCallThePoolFromInsideAChunk() {
        try (WorkerPool pool = new WorkerPool(2)) {
            AtomicInteger inner = new AtomicInteger();
            pool.run(c -> pool.run(d -> inner.incrementAndGet(), 10), 4); // nested calls run inline
            assertEquals(40, inner.get());
        }
    }

    @Test
    void workersThatParkedWakeUpAgain() {
        try (WorkerPool pool = new WorkerPool(2)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            for (int r = 0; r < 5; r++) {
                sleepMicros(5 * WorkerPool.SPIN_NANOS / 1000); // longer than the spin: the worker parks
                Counting task = new Counting(64);
                pool.run(c -> {
                    seen.add(Thread.currentThread());
                    task.run(c);
                    sleepMicros(100);
                }, 64);
                task.assertEachRanOnce(64);
            }
            assertEquals(2, seen.size());
        }
    }

    @Test
    void closeStopsTheWorkers() throws Exception {
        WorkerPool pool = new WorkerPool(3);
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        CyclicBarrier all = new CyclicBarrier(3);
        pool.run(c -> {
            seen.add(Thread.currentThread());
            try {
                all.await();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, 3);
        pool.close();
        for (Thread t : seen) if (t != Thread.currentThread()) assertFalse(t.isAlive(), t.getName());
        assertThrows(IllegalStateException.class, () -> pool.run(c -> {}, 2));
        pool.close(); // idempotent
        assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
    }

    @Test
    void closeWaitsForTheRunInProgressAndRefusesToRunFromInsideATask() throws Exception {
        WorkerPool pool = new WorkerPool(2);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger done = new AtomicInteger();
        Thread runner = new Thread(() -> pool.run(c -> {
            started.countDown();
            sleepMicros(20_000);
            done.incrementAndGet();
        }, 4));
        runner.start();
        started.await();
        pool.close(); // waits for the 4 chunks
        assertEquals(4, done.get());
        runner.join();

        WorkerPool other = new WorkerPool(2);
        try {
            AtomicReference<Throwable> inside = new AtomicReference<>();
            other.run(c -> {
                try {
                    other.close();
                } catch (IllegalStateException e) {
                    inside.compareAndSet(null, e);
                }
            }, 2);
            assertTrue(inside.get() instanceof IllegalStateException);
            Counting task = new Counting(8);
            other.run(task, 8); // still usable
            task.assertEachRanOnce(8);
        } finally {
            other.close();
        }
    }

    @Test
    void runningAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (WorkerPool pool = new WorkerPool(2)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            CyclicBarrier both = new CyclicBarrier(2);
            pool.run(c -> {
                seen.add(Thread.currentThread());
                try {
                    both.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, 2);
            long[] ids = seen.stream().mapToLong(Thread::threadId).toArray();
            long[] sums = new long[64];
            ParallelTask task = c -> sums[c]++;
            for (int r = 0; r < 2000; r++) pool.run(task, 64); // warm up
            long before = 0, after = 0;
            for (long id : ids) before += threads.getThreadAllocatedBytes(id);
            for (int r = 0; r < 20_000; r++) pool.run(task, 64);
            for (long id : ids) after += threads.getThreadAllocatedBytes(id);
            assertTrue(after - before < 4096, "20000 runs allocated " + (after - before) + " bytes");
        }
    }

    private static void sleepMicros(long micros) {
        long until = System.nanoTime() + micros * 1000;
        while (System.nanoTime() < until) {
            if (micros > 1000) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
