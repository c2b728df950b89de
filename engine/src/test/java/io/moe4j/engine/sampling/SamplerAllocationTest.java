package io.moe4j.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * After its first call a sampler allocates nothing on the Java heap: measured with the thread allocation counter
 * over rounds of {@link #CALLS} calls after {@link #WARMUP} (V = 32000, every setting path). The JIT compiles in the
 * background, and a round that catches a deoptimisation may allocate, so each setting gets rounds until one averages
 * under {@link #BUDGET_BYTES_PER_CALL}, for at most {@link #PATIENCE_NANOS}. Skipped under {@code -Xint}.
 */
class SamplerAllocationTest {
    private static final long PATIENCE_NANOS = 30_000_000_000L;
    private static final int WARMUP = 500;
    private static final int CALLS = 3000;
    private static final double BUDGET_BYTES_PER_CALL = 16;

    @Test
    void sampleAllocatesNothingOnceWarm() {
        var jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments().toString();
        assumeTrue(!jvmArgs.contains("-Xint"), "needs the JIT");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());

        int v = 32000;
        Random r = new Random(17);
        float[] values = new float[2 * v];
        for (int i = 0; i < values.length; i++) values[i] = (float) (r.nextGaussian() * 3);
        values[123] = Float.NaN;
        SamplingSettings[] settings = {
                SamplingSettings.GREEDY,
                SamplingSettings.temperature(0.8f, 1),
                new SamplingSettings(0.7f, 40, 1f, 2),
                new SamplingSettings(1f, 0, 0.9f, 3),
                new SamplingSettings(0.8f, 50, 0.95f, 4),
                new SamplingSettings(1.2f, 5000, 0.99f, 5),
        };
        StringBuilder failures = new StringBuilder();
        try (Arena arena = Arena.ofConfined()) {
            Tensor batch = Tensor.ofFloats(arena, values, 2, v);
            Tensor row0 = batch.row(0), row1 = batch.row(1);
            for (SamplingSettings s : settings) {
                Sampler sampler = new Sampler(s);
                long sink = 0;
                for (int i = 0; i < WARMUP; i++) sink += sampler.sample((i & 1) == 0 ? row0 : row1); // sizes the arrays
                long start = System.nanoTime(), elapsed = 0;
                double perCall = Double.MAX_VALUE;
                int rounds = 0;
                while (perCall >= BUDGET_BYTES_PER_CALL && System.nanoTime() - start < PATIENCE_NANOS) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < CALLS; i++) sink += sampler.sample((i & 1) == 0 ? row0 : row1);
                    elapsed = System.nanoTime() - t0;
                    perCall = (threads.getCurrentThreadAllocatedBytes() - before) / (double) CALLS;
                    rounds++;
                }
                System.out.printf("%-58s %6.2f B/call after %2d rounds of %d; %7.1f us/token (V=%d) [%d]%n", s,
                        perCall, rounds, CALLS, elapsed / 1e3 / CALLS, v, sink);
                if (perCall >= BUDGET_BYTES_PER_CALL) failures.append(s).append(": ").append(perCall).append(" B/call; ");
            }
        }
        assertTrue(failures.isEmpty(), "still allocating: " + failures);
    }
}
