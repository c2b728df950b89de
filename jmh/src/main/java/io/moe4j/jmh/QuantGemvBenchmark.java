package io.moe4j.jmh;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.QuantPath;
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
 * Decode-time matmul (M = 1) with block-quantized weights at Mixtral expert shapes: the quantized GEMV
 * ({@code GEMV}, float32 x, exact weights) or the integer dot products over 8-bit x ({@code INT8_DOT}, Q8_0 and
 * Q4_0 only). Eight weight matrices are used in turn so that every call streams its weights from memory, as in a
 * MoE layer. {@code bytes} counts quantized bytes read: compare it with {@link MachineBenchmark#readBandwidth} in
 * the same run, e.g. {@code scripts/jmh.sh 'QuantGemv|MachineBenchmark.readBandwidth'}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class QuantGemvBenchmark {
    private static final int MATRICES = 8;

    @Param({"q8_0", "q4_0", "q4_k", "q5_k", "q6_k"})
    public String dtype;

    /** K×N: w1/w3 (4096 → 14336) and w2 (14336 → 4096). */
    @Param({"4096x14336", "14336x4096"})
    public String shape;

    @Param({"GEMV"})
    public String path;

    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private Arena arena;
    private Tensor x;
    private Tensor y;
    private Tensor[] weights;
    private QuantPath how;
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
        how = QuantPath.valueOf(path);
        x = RandomTensors.uniform(arena, DType.F32, 1, 1, k);
        y = Tensor.allocate(arena, DType.F32, 1, n);
        weights = new Tensor[MATRICES];
        for (int i = 0; i < MATRICES; i++) weights[i] = RandomQuantTensors.blocks(arena, type, 10 + i, n, k);
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
        backend.matmul(x, w, y, how);
        traffic.bytes += bytesPerCall;
    }
}
