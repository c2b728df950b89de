package io.moe4j.jmh;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
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
import java.util.concurrent.TimeUnit;

/**
 * Decode-time matmul (M = 1) at Mixtral expert shapes, weights in the Hugging Face {@code [N, K]} layout: F32 goes
 * to oneDNN, BF16/F16 to our GEMV. Eight weight matrices are used in turn, so the working set (≥ 0.9 GB) is far
 * beyond the L3 cache and every call streams its weights from memory, as in a real MoE layer. Compare
 * {@code bytes} (bytes/s) with {@link MachineBenchmark#readBandwidth}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class GemvBenchmark {
    private static final int MATRICES = 8;

    @Param({"f32", "bf16", "f16"})
    public String dtype;

    /** K×N: w1/w3 (4096 → 14336) and w2 (14336 → 4096). */
    @Param({"4096x14336", "14336x4096"})
    public String shape;

    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private Arena arena;
    private Tensor x;
    private Tensor y;
    private Tensor[] weights;
    private int next;
    private long bytesPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        backend = CpuBackend.create(threads);
        arena = Arena.ofShared();
        String[] kn = shape.split("x");
        int k = Integer.parseInt(kn[0]);
        int n = Integer.parseInt(kn[1]);
        DType type = DType.valueOf(dtype.toUpperCase());
        x = RandomTensors.uniform(arena, DType.F32, 1, 1, k);
        y = Tensor.allocate(arena, DType.F32, 1, n);
        weights = new Tensor[MATRICES];
        for (int i = 0; i < MATRICES; i++) weights[i] = RandomTensors.uniform(arena, type, 10 + i, n, k);
        bytesPerCall = weights[0].byteSize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public void gemv(Traffic traffic) {
        Tensor w = weights[next];
        next = (next + 1) % MATRICES;
        backend.matmul(x, w, y);
        traffic.bytes += bytesPerCall;
    }
}
