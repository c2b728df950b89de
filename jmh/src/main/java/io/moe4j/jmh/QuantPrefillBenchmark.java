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
 * The three ways to multiply M rows by block-quantized weights ({@link QuantPath}), for choosing one per M
 * ({@link CpuBackend#quantPath}): the GEMV, integer dot products over 8-bit x (Q8_0 and Q4_0 only: other types
 * fail in setup), and dequantized column blocks + oneDNN f32. Mixtral expert shapes; two weight matrices in turn
 * (so that small M still reads from memory). Reports {@code tokens} (rows of x per second) and {@code flops}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class QuantPrefillBenchmark {
    @Param({"q8_0", "q4_0", "q4_k"})
    public String dtype;

    /** K×N: w1/w3 (4096 → 14336) and w2 (14336 → 4096). */
    @Param({"4096x14336", "14336x4096"})
    public String shape;

    @Param({"1", "2", "4", "8", "16", "32", "64", "128", "512"})
    public int m;

    @Param({"GEMV", "INT8_DOT", "DEQUANTIZED_ONEDNN"})
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

    @Setup(Level.Trial)
    public void setUp() {
        DType type = DType.valueOf(dtype.toUpperCase());
        how = QuantPath.valueOf(path);
        if (how == QuantPath.INT8_DOT && type != DType.Q8_0 && type != DType.Q4_0) {
            throw new IllegalArgumentException("INT8_DOT is implemented for Q8_0 and Q4_0 only, not " + type);
        }
        backend = CpuBackend.create(threads);
        arena = Arena.ofShared();
        String[] kn = shape.split("x");
        int k = Integer.parseInt(kn[0]);
        int n = Integer.parseInt(kn[1]);
        x = RandomTensors.uniform(arena, DType.F32, 1, m, k);
        y = Tensor.allocate(arena, DType.F32, m, n);
        weights = new Tensor[] {RandomQuantTensors.blocks(arena, type, 10, n, k), RandomQuantTensors.blocks(arena, type, 11, n, k)};
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (backend != null) backend.close();
        if (arena != null) arena.close();
    }

    @Benchmark
    public void matmul(Traffic traffic) {
        Tensor w = weights[next];
        next = (next + 1) % weights.length;
        backend.matmul(x, w, y, how);
        traffic.tokens += m;
        traffic.flops += 2.0 * m * w.dim(0) * w.dim(1);
    }
}
