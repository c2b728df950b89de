package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.jmh.Traffic;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The data movement of grouped dispatch at D = 4096 (Mixtral's hidden size): {@link Dispatch#gather} copies every
 * expert's token rows into a contiguous block, {@link Dispatch#scatterAdd} adds {@code g ·} the expert's output rows
 * back into the tokens' rows, for all T·k assignments of one layer call. The expert FFN between them is left out
 * (a fixed random block stands for its output), so these are the costs dispatch adds on top of the GEMMs.
 *
 * <p>Assignments come from random router logits through the real router arithmetic and capacity admission
 * (unlimited), grouped by {@link Dispatch#groupByExpert} once in setup: the batch is the same on every call.
 * {@code bytes} counts bytes moved once: gather reads and writes a row (8·D per assignment), scatter-add reads the
 * expert row and the token row and writes the token row (12·D). At T = 512 the rows (8 MiB per [T, D] buffer) exceed
 * L2 and partly L3, at T ≤ 32 they are cache-resident. {@code tokens} counts tokens per second.
 *
 * <p>It sits in the engine's package, inside the jmh module, to reach the package-private dispatch code without
 * widening the engine's API.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Vector API code runs boxed, orders of magnitude slower, until C2 compiles it: ~5 s on a busy 2-core machine.
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class DispatchBenchmark {
    private static final int D = 4096;

    /** experts × top-k: Mixtral 8x7B and DBRX routing (at Mixtral's D, to compare the two at equal row size). */
    @Param({"8x2", "16x4"})
    public String routing;

    @Param({"1", "32", "512"})
    public int tokens;

    private int experts;
    private Arena arena;
    private Tensor x;
    private Tensor out;
    private MemorySegment block;
    private MemorySegment expertOut;
    private final Assignments assignments = new Assignments();
    private int[] count;
    private int[] offset;
    private int[] order;
    private double gatherBytes;
    private double scatterBytes;

    @Setup(Level.Trial)
    public void setUp() {
        String[] ek = routing.split("x");
        experts = Integer.parseInt(ek[0]);
        int k = Integer.parseInt(ek[1]);
        arena = Arena.ofShared();
        SplittableRandom random = new SplittableRandom(7);
        x = Tensor.ofFloats(arena, uniform(random, tokens * D), tokens, D);
        out = Tensor.allocate(arena, DType.F32, tokens, D);
        // An expert gets each token at most once, so T rows hold any expert's group, as in LayerScratch.
        block = arena.allocate(4L * tokens * D, 64);
        expertOut = Tensor.ofFloats(arena, uniform(random, tokens * D), tokens, D).segment();
        route(random, k);
        count = new int[experts];
        offset = new int[experts + 1];
        order = new int[assignments.count];
        Dispatch.groupByExpert(assignments, experts, count, offset, order);
        gatherBytes = 8.0 * D * assignments.count;
        scatterBytes = 12.0 * D * assignments.count;
    }

    /** Picks k experts per token from random logits the way TopKRouter does, then admits them all. */
    private void route(SplittableRandom random, int k) {
        float[] logits = new float[experts];
        float[] prob = new float[experts];
        int[] top = new int[k];
        boolean[] taken = new boolean[experts];
        float[] gates = new float[k];
        Choices choices = new Choices();
        choices.reset(tokens, k);
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < experts; e++) logits[e] = (float) (2 * random.nextGaussian());
            Gates.softmax(logits, experts, prob);
            Gates.topK(logits, experts, k, top, taken);
            Gates.normalize(Normalize.L1, prob, top, k, gates);
            for (int r = 0; r < k; r++) choices.set(t, r, top[r], gates[r]);
        }
        Capacity.admit(choices, Long.MAX_VALUE, new long[experts], assignments, new RoutingStats(experts));
    }

    private static float[] uniform(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) values[i] = (float) random.nextDouble(-1, 1);
        return values;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void gather(Traffic traffic) {
        for (int e = 0; e < experts; e++) {
            if (count[e] > 0) Dispatch.gather(x, assignments, order, offset[e], count[e], block);
        }
        traffic.bytes += gatherBytes;
        traffic.tokens += tokens;
    }

    /**
     * Adds into {@code out} without clearing it between calls (clearing would add its own traffic); the values only
     * grow linearly, far from overflow, and their size does not change the cost of an FMA.
     */
    @Benchmark
    public void scatterAdd(Traffic traffic) {
        for (int e = 0; e < experts; e++) {
            if (count[e] > 0) Dispatch.scatterAdd(expertOut, assignments, order, offset[e], count[e], out);
        }
        traffic.bytes += scatterBytes;
        traffic.tokens += tokens;
    }
}
