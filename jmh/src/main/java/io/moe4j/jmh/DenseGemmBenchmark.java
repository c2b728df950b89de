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
 * The ceiling for a prefill MoE layer: one dense oneDNN f32 GEMM with the FLOPs of T tokens × k experts × the three
 * expert matrices, i.e. M = T, K = D, N = 3·k·F.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class DenseGemmBenchmark {
    @Param({"mixtral"})
    public String shape;

    @Param({"512"})
    public int tokens;

    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private Arena arena;
    private Tensor x;
    private Tensor w;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        LayerDims dims = LayerDims.of(shape);
        backend = CpuBackend.create(threads);
        arena = Arena.ofShared();
        long n = 3L * dims.topK() * dims.ffn();
        x = RandomTensors.uniform(arena, DType.F32, 1, tokens, dims.model(), 1);
        w = RandomTensors.uniform(arena, DType.F32, 2, n, dims.model(), 0.02);
        y = Tensor.allocate(arena, DType.F32, tokens, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public void gemm(Traffic traffic) {
        backend.matmul(x, w, y);
        traffic.flops += 2.0 * x.dim(0) * w.dim(0) * w.dim(1);
    }
}
