package io.moe4j.engine.backend.cpu.probe;

import io.moe4j.engine.backend.cpu.ParallelTask;
import io.moe4j.engine.backend.cpu.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * The machine's read bandwidth as our kernels see it: a streaming vector sum over a buffer much larger than the
 * last-level cache, split over the worker pool the way the GEMV kernels split their weights, four streams per chunk. This is the ceiling
 * a weight-streaming kernel (M = 1 decode) can reach, so benchmarks report their GB/s against it.
 */
public final class ReadBandwidth implements ParallelTask, AutoCloseable {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK_BYTES = 1 << 20;

    private final WorkerPool pool;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final float[] sinks;

    /** A probe over {@code bytes} of memory (use ≥ 8× the last-level cache), filled once. */
    public ReadBandwidth(WorkerPool pool, long bytes) {
        this.pool = pool;
        long size = Math.max(CHUNK_BYTES, bytes / CHUNK_BYTES * CHUNK_BYTES);
        this.buffer = arena.allocate(size, 4096);
        this.buffer.fill((byte) 1);
        this.sinks = new float[(int) (size / CHUNK_BYTES)];
    }

    /** Reads the buffer {@code runs} times; returns the best rate in GB/s (10⁹ bytes per second). */
    public double bestGbPerSecond(int runs) {
        double best = 0;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            readOnce();
            long nanos = System.nanoTime() - start;
            best = Math.max(best, buffer.byteSize() / (double) nanos);
        }
        return best;
    }

    /** Reads the whole buffer once (for harnesses that do their own timing); returns the bytes read. */
    public long readOnce() {
        pool.run(this, sinks.length);
        return buffer.byteSize();
    }

    public long bytes() { return buffer.byteSize(); }

    @Override
    public void run(int chunk) {
        MemorySegment buffer = this.buffer; // a local, so the JIT hoists the segment checks out of the loop
        long base = (long) chunk * CHUNK_BYTES;
        FloatVector a = FloatVector.zero(F), b = a, c = a, d = a;
        int step = F.vectorByteSize();
        // Four streams a quarter of the chunk apart, as the GEMV kernels read four weight rows at once: one
        // sequential stream leaves part of the bandwidth unused on this kind of machine (measured ~20% less).
        int quarter = CHUNK_BYTES / 4;
        for (int i = 0; i < quarter; i += step) {
            a = a.add(FloatVector.fromMemorySegment(F, buffer, base + i, ByteOrder.LITTLE_ENDIAN));
            b = b.add(FloatVector.fromMemorySegment(F, buffer, base + quarter + i, ByteOrder.LITTLE_ENDIAN));
            c = c.add(FloatVector.fromMemorySegment(F, buffer, base + 2L * quarter + i, ByteOrder.LITTLE_ENDIAN));
            d = d.add(FloatVector.fromMemorySegment(F, buffer, base + 3L * quarter + i, ByteOrder.LITTLE_ENDIAN));
        }
        sinks[chunk] = a.add(b).add(c).add(d).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    @Override
    public void close() {
        arena.close();
    }
}
