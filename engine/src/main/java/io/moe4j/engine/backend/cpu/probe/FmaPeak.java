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
        // The accumulator is the addend (acc = x·y + acc), the form GEMM microkernels use: written as
        // acc = acc·m + c instead, C2's code reaches only half the FMA ports on this machine.
        FloatVector x = FloatVector.broadcast(F, 1.0000001f + chunk * 1e-9f);
        FloatVector y = FloatVector.broadcast(F, 0.9999999f);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        FloatVector a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (int i = 0; i < ITERATIONS; i++) {
            a0 = x.fma(y, a0); a1 = x.fma(y, a1); a2 = x.fma(y, a2); a3 = x.fma(y, a3);
            a4 = x.fma(y, a4); a5 = x.fma(y, a5); a6 = x.fma(y, a6); a7 = x.fma(y, a7);
            a8 = x.fma(y, a8); a9 = x.fma(y, a9); a10 = x.fma(y, a10); a11 = x.fma(y, a11);
        }
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        sinks[chunk] = sum.reduceLanes(VectorOperators.ADD);
    }
}
