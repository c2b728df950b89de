package io.moe4j.jmh;

import io.moe4j.engine.backend.cpu.kernels.Norms;
import io.moe4j.engine.backend.cpu.kernels.Rope;
import io.moe4j.engine.backend.cpu.kernels.RopeTable;
import io.moe4j.engine.backend.cpu.kernels.Softmax;
import io.moe4j.engine.backend.cpu.kernels.TopK;
import io.moe4j.engine.tensor.DType;
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
import java.util.concurrent.TimeUnit;

/**
 * The per-token vector kernels around the GEMMs, single-threaded as the engine calls them: RMSNorm of one hidden row
 * (Mixtral D=4096, DBRX D=6144), RoPE on one token's Mixtral query (32 heads × 128) and key (8 KV heads × 128) at a
 * few positions, and the public Softmax / TopK kernels over {@value #GATE_ROWS} tokens' router rows (E=8/k=2 Mixtral,
 * E=16/k=4 DBRX, E=64/k=6 as DeepSeek-V2-Lite). Everything fits in L1/L2, so {@code bytes} (bytes/s over what the
 * kernel must read and write once) is a cache-bandwidth figure, not a DRAM one; {@code tokens} counts router rows.
 * Each kernel's parameters live in its own state so JMH runs only the combinations that apply to it.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
// Vector API code runs boxed, orders of magnitude slower, until C2 compiles it: ~5 s on a busy 2-core machine.
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
public class OpsBenchmark {
    private static final int HEAD_DIM = 128;
    private static final int Q_HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final double ROPE_THETA = 1e6; // Mixtral's rope_theta
    private static final int MAX_POSITIONS = 32768; // Mixtral's max_position_embeddings
    private static final int GATE_ROWS = 32; // tokens per softmax/top-k call: per-call overhead stays small

    /** One hidden row, its norm weight and an output row. */
    @State(Scope.Thread)
    public static class NormInput {
        @Param({"4096", "6144"})
        public int dim;

        Arena arena;
        MemorySegment x, w, out;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            x = RandomTensors.uniform(arena, DType.F32, 1, 1, dim).segment();
            w = RandomTensors.uniform(arena, DType.F32, 2, 1, dim).segment();
            out = arena.allocate(4L * dim, 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    /** One token's query and key rows, rotated in place as attention does, and the cos/sin table of the model. */
    @State(Scope.Thread)
    public static class RopeInput {
        /** Position matters to the on-the-fly path: larger angles cost more in cos/sin's argument reduction. */
        @Param({"1", "4096", "32767"})
        public int position;

        Arena arena;
        MemorySegment q, k;
        RopeTable table;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            q = RandomTensors.uniform(arena, DType.F32, 3, Q_HEADS, HEAD_DIM).segment();
            k = RandomTensors.uniform(arena, DType.F32, 4, KV_HEADS, HEAD_DIM).segment();
            table = RopeTable.create(arena, HEAD_DIM, MAX_POSITIONS, ROPE_THETA);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    /** {@link #GATE_ROWS} tokens of router logits, with room for probabilities and the top-k of each. */
    @State(Scope.Thread)
    public static class GateInput {
        /** experts × top-k. */
        @Param({"8x2", "16x4", "64x6"})
        public String routing;

        int experts, topK;
        Arena arena;
        MemorySegment logits, probs, indices, values;

        @Setup(Level.Trial)
        public void setUp() {
            String[] ek = routing.split("x");
            experts = Integer.parseInt(ek[0]);
            topK = Integer.parseInt(ek[1]);
            arena = Arena.ofShared();
            logits = RandomTensors.uniform(arena, DType.F32, 5, GATE_ROWS, experts, 3).segment();
            probs = arena.allocate(4L * GATE_ROWS * experts, 64);
            indices = arena.allocate(4L * GATE_ROWS * topK, 64);
            values = arena.allocate(4L * GATE_ROWS * topK, 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() { arena.close(); }
    }

    /** {@code Norms.rmsNorm} of one row; bytes = x and w read, out written (12·D). */
    @Benchmark
    public void rmsNorm(NormInput in, Traffic traffic) {
        Norms.rmsNorm(in.x, 0, in.w, 0, in.out, 0, in.dim, 1e-5f);
        traffic.bytes += 12.0 * in.dim;
    }

    /**
     * RoPE of one token's q and k with cos/sin computed on the fly (the path {@code Attention} takes today);
     * bytes = q and k read and written.
     */
    @Benchmark
    public void ropeOnTheFly(RopeInput in, Traffic traffic) {
        Rope.apply(in.q, 0, in.q, 0, Q_HEADS, HEAD_DIM, in.position, ROPE_THETA);
        Rope.apply(in.k, 0, in.k, 0, KV_HEADS, HEAD_DIM, in.position, ROPE_THETA);
        traffic.bytes += 8.0 * (Q_HEADS + KV_HEADS) * HEAD_DIM;
    }

    /** The same rotation with cos/sin read from a {@link RopeTable}: the vectorised decode path. */
    @Benchmark
    public void ropeTable(RopeInput in, Traffic traffic) {
        Rope.apply(in.table, in.q, 0, in.q, 0, Q_HEADS, HEAD_DIM, in.position);
        Rope.apply(in.table, in.k, 0, in.k, 0, KV_HEADS, HEAD_DIM, in.position);
        traffic.bytes += 8.0 * (Q_HEADS + KV_HEADS) * HEAD_DIM;
    }

    /** {@code Softmax.softmax} over {@link #GATE_ROWS} rows of E logits; {@code tokens} counts rows. */
    @Benchmark
    public void softmax(GateInput in, Traffic traffic) {
        long stride = 4L * in.experts;
        Softmax.softmax(in.logits, 0, stride, in.probs, 0, stride, GATE_ROWS, in.experts);
        traffic.tokens += GATE_ROWS;
    }

    /** {@code TopK.topK} (k of E) over {@link #GATE_ROWS} rows of logits; {@code tokens} counts rows. */
    @Benchmark
    public void topK(GateInput in, Traffic traffic) {
        for (int t = 0; t < GATE_ROWS; t++) {
            TopK.topK(in.logits, 4L * t * in.experts, in.experts, in.topK,
                    in.indices, 4L * t * in.topK, in.values, 4L * t * in.topK);
        }
        traffic.tokens += GATE_ROWS;
    }
}
