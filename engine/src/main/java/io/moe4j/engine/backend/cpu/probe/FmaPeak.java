package io.moe4j.engine.backend.cpu.probe;

import io.moe4j.engine.backend.cpu.ParallelTask;
import io.moe4j.engine.backend.cpu.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's float32 FMA peak as reachable from Java: each thread runs twelve independent vector FMA chains in
 * registers (enough to cover FMA latency × the FMA ports of current x86 cores), no memory traffic. Compute-bound
 * kernels (large-M GEMM) report their GFLOP/s against it.
 */
public final class FmaPeak implements ParallelTask {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;
    private static final int ITERATIONS = 2_000_000;

    private final WorkerPool pool;
    private final float[] sinks;

    public FmaPeak(WorkerPool pool) {
        this.pool = pool;
        this.sinks = new float[pool.threads()];
    }

    /** Best of {@code runs}, in GFLOP/s (an FMA counts as two floating-point operations). */
    public double bestGflopPerSecond(int runs) {
        double flops = 2.0 * F.length() * CHAINS * ITERATIONS * pool.threads();
        double best = 0;
        for (int r = 0; r < runs; r++) {
            long start = System.nanoTime();
            runOnce();
            best = Math.max(best, flops / (System.nanoTime() - start));
        }
        return best;
    }

    /** Runs the FMA chains once on every thread (for harnesses that do their own timing); returns the FLOPs. */
    public double runOnce() {
        pool.run(this, pool.threads());
        return 2.0 * F.length() * CHAINS * ITERATIONS * pool.threads();
    }

    @Override
    public void run(int chunk) {
        FloatVector m = FloatVector.broadcast(F, 0.999999f);
        FloatVector add = FloatVector.broadcast(F, 1e-7f);
        FloatVector a0 = FloatVector.broadcast(F, chunk), a1 = a0.add(1), a2 = a0.add(2), a3 = a0.add(3);
        FloatVector a4 = a0.add(4), a5 = a0.add(5), a6 = a0.add(6), a7 = a0.add(7);
        FloatVector a8 = a0.add(8), a9 = a0.add(9), a10 = a0.add(10), a11 = a0.add(11);
        for (int i = 0; i < ITERATIONS; i++) {
            a0 = a0.fma(m, add); a1 = a1.fma(m, add); a2 = a2.fma(m, add); a3 = a3.fma(m, add);
            a4 = a4.fma(m, add); a5 = a5.fma(m, add); a6 = a6.fma(m, add); a7 = a7.fma(m, add);
            a8 = a8.fma(m, add); a9 = a9.fma(m, add); a10 = a10.fma(m, add); a11 = a11.fma(m, add);
        }
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        sinks[chunk] = sum.reduceLanes(VectorOperators.ADD);
    }
}
