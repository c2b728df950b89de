package io.moe4j.engine.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of threads that run the chunks of a {@link ParallelTask}.
 *
 * <p>A pool of {@code threads} has {@code threads - 1} daemon platform worker threads; the thread that calls
 * {@link #run(ParallelTask, int)} is worker 0 and takes chunks too. Chunks are handed out through an atomic
 * counter, so a slow thread simply takes fewer of them. {@code run} returns once every chunk is done.
 *
 * <p>The hot path takes no lock and allocates nothing: the caller claims the pool with a compare-and-set,
 * publishes the task by bumping a volatile generation number, and unparks only the workers that went to sleep.
 * Idle workers spin for about {@value #SPIN_NANOS} ns ({@link Thread#onSpinWait()}) after each run, so the
 * back-to-back kernel calls of one decoding step find them awake, and then park.
 *
 * <p><b>Several callers.</b> One run uses the pool at a time. If another thread already uses it (a service
 * calling from several threads, or a task that calls {@code run} from inside a chunk), the caller does not wait
 * but runs all chunks itself, inline and in order, so the call still completes with the same results, only
 * without the extra threads.
 *
 * <p><b>Failures.</b> If a chunk throws, the chunks not yet started are skipped, the call waits until every
 * worker has left the task, and then throws a {@link TaskException} whose cause is the first throwable (later
 * ones are attached to it as suppressed).
 */
public final class WorkerPool implements AutoCloseable {
    /** How long an idle worker spins before it parks. */
    static final long SPIN_NANOS = 50_000;

    private final int threads;
    private final Worker[] workers;
    private final AtomicBoolean inUse = new AtomicBoolean();

    // State of the current run: written by the caller before the volatile write of generation.
    private ParallelTask task;
    private int chunks;
    private Thread caller;

    private final AtomicInteger nextChunk = new AtomicInteger();
    private final AtomicInteger pendingWorkers = new AtomicInteger();
    private volatile int generation;
    private volatile boolean callerParked;
    private volatile Throwable failure;
    private volatile int failedChunk;
    private volatile boolean closed;

    /** Starts a pool of {@code threads} threads in all, the calling thread included ({@code threads - 1} workers). */
    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("a worker pool needs at least 1 thread, got " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) workers[i] = new Worker(i + 1);
        for (Worker w : workers) w.start();
    }

    /** A pool with one thread per available processor. */
    public static WorkerPool ofAvailableProcessors() {
        return new WorkerPool(Runtime.getRuntime().availableProcessors());
    }

    /** Threads that take chunks, the calling thread included. */
    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task.run(c)} for every {@code c} in {@code [0, chunks)} and returns when all are done.
     *
     * @throws TaskException if a chunk threw (after all threads have left the task)
     * @throws IllegalStateException if the pool is closed
     */
    public void run(ParallelTask task, int chunks) {
        if (closed) throw new IllegalStateException("worker pool is closed");
        if (chunks <= 0) return;
        if (chunks == 1 || workers.length == 0 || !inUse.compareAndSet(false, true)) {
            runInline(task, chunks);
            return;
        }
        try {
            runParallel(task, chunks);
        } finally {
            this.task = null;
            this.caller = null;
            inUse.set(false);
        }
        Throwable t = failure;
        if (t != null) {
            failure = null;
            throw new TaskException(failedChunk, t);
        }
    }

    private static void runInline(ParallelTask task, int chunks) {
        for (int c = 0; c < chunks; c++) {
            try {
                task.run(c);
            } catch (Throwable t) {
                throw new TaskException(c, t);
            }
        }
    }

    private void runParallel(ParallelTask task, int chunks) {
        this.task = task;
        this.chunks = chunks;
        this.caller = Thread.currentThread();
        failure = null;
        nextChunk.set(0);
        pendingWorkers.set(workers.length);
        generation = generation + 1; // publishes the fields above
        for (Worker w : workers) {
            if (w.parked) LockSupport.unpark(w);
        }
        work(task, chunks);
        awaitWorkers();
    }

    /** Takes chunks until none are left. */
    private void work(ParallelTask task, int chunks) {
        int c;
        while ((c = nextChunk.getAndIncrement()) < chunks) {
            try {
                task.run(c);
            } catch (Throwable t) {
                fail(c, t);
            }
        }
    }

    private synchronized void fail(int chunk, Throwable t) { // failure path only
        nextChunk.set(Integer.MAX_VALUE / 2); // nobody starts another chunk
        Throwable first = failure;
        if (first == null) {
            failedChunk = chunk;
            failure = t;
        } else if (first != t) {
            first.addSuppressed(t);
        }
    }

    private void awaitWorkers() {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        int spins = 0;
        while (pendingWorkers.get() != 0) {
            if ((++spins & 15) != 0 || System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
                continue;
            }
            callerParked = true;
            if (pendingWorkers.get() != 0) LockSupport.park(this);
            callerParked = false;
        }
    }

    /**
     * Waits for the run in progress, if any, then stops the workers and waits for them to exit. Later calls of
     * {@link #run} throw. Must not be called from inside a task of this pool.
     */
    @Override
    public void close() {
        if (closed) return;
        Thread me = Thread.currentThread();
        if (me instanceof Worker wk && wk.pool() == this) throw closeFromTask();
        while (!inUse.compareAndSet(false, true)) { // the pool stays claimed: nothing can start on it any more
            if (closed) return; // closed by another thread meanwhile
            if (caller == me) throw closeFromTask();
            LockSupport.parkNanos(this, 100_000);
        }
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
        boolean interrupted = false;
        for (Worker w : workers) {
            while (w.isAlive()) {
                try {
                    w.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) me.interrupt();
    }

    private static IllegalStateException closeFromTask() {
        return new IllegalStateException("a worker pool cannot be closed from inside one of its tasks");
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("moe4j-cpu-worker-" + index);
            setDaemon(true);
        }

        WorkerPool pool() {
            return WorkerPool.this;
        }

        @Override
        public void run() {
            int seen = 0;
            while (true) {
                int g = awaitGeneration(seen);
                if (g == seen) return; // closed
                seen = g;
                work(task, chunks);
                Thread waiting = caller;
                if (pendingWorkers.decrementAndGet() == 0 && callerParked) LockSupport.unpark(waiting);
            }
        }

        /** Spins, then parks, until the generation moves past {@code seen}; returns {@code seen} once closed. */
        private int awaitGeneration(int seen) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            int spins = 0;
            int g;
            while ((g = generation) == seen) {
                if (closed) return seen;
                if ((++spins & 15) != 0 || System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                    continue;
                }
                parked = true;
                if (generation == seen && !closed) LockSupport.park(WorkerPool.this);
                parked = false;
            }
            return g;
        }
    }

    /** Thrown by {@link #run} when a chunk failed; the cause is what the chunk threw. */
    public static final class TaskException extends RuntimeException {
        private final int chunk;

        TaskException(int chunk, Throwable cause) {
            super("parallel task failed in chunk " + chunk + ": " + cause, cause);
            this.chunk = chunk;
        }

        /** The chunk whose failure is the cause. */
        public int chunk() {
            return chunk;
        }
    }
}
