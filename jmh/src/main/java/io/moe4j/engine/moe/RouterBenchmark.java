package io.moe4j.engine.moe;

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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The softmax top-k router's per-token work exactly as {@link TopKRouter} does it for {@code softmax_topk} with l1
 * normalisation (Mixtral, DBRX): copy the token's logits row out of native memory, {@link Gates#softmax},
 * {@link Gates#topK}, {@link Gates#normalize}. Not included: the router GEMM {@code h = W·x} (a GEMV/GEMM, see
 * GemvBenchmark and MatmulBenchmark), the loss statistics and capacity admission. Compare {@code tokens} (tokens/s)
 * with OpsBenchmark's vectorised {@code softmax} and {@code topK} over the same rows.
 *
 * <p>It sits in the engine's package, inside the jmh module, to reach the package-private {@code Gates} without
 * widening the engine's API; the jmh module runs on the class path, where a package may span jars.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class RouterBenchmark {
    /** experts × top-k: Mixtral 8x7B, DBRX, and a fine-grained MoE (DeepSeek-V2-Lite: 64 routed experts, k=6). */
    @Param({"8x2", "16x4", "64x6"})
    public String routing;

    @Param({"1", "32", "512"})
    public int tokens;

    private int experts;
    private int topK;
    private Arena arena;
    private Tensor logits;
    private float[] row;
    private float[] prob;
    private int[] top;
    private boolean[] taken;
    private float[] gates;

    @Setup(Level.Trial)
    public void setUp() {
        String[] ek = routing.split("x");
        experts = Integer.parseInt(ek[0]);
        topK = Integer.parseInt(ek[1]);
        arena = Arena.ofShared();
        // Random logits of a trained router's spread (a few units); their order, not their scale, drives top-k.
        SplittableRandom random = new SplittableRandom(42);
        float[] values = new float[tokens * experts];
        for (int i = 0; i < values.length; i++) values[i] = (float) (2 * random.nextGaussian());
        logits = Tensor.ofFloats(arena, values, tokens, experts);
        row = new float[experts];
        prob = new float[experts];
        top = new int[topK];
        taken = new boolean[experts];
        gates = new float[topK];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float route(Traffic traffic) {
        float sum = 0;
        for (int t = 0; t < tokens; t++) {
            Router.readRow(logits, t, row);
            Gates.softmax(row, experts, prob);
            Gates.topK(row, experts, topK, top, taken);
            Gates.normalize(Normalize.L1, prob, top, topK, gates);
            sum += gates[0]; // consumed, so the work cannot be dropped
        }
        traffic.tokens += tokens;
        return sum;
    }
}
