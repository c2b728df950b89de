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
 * Prefill-time matmul: M rows against a Mixtral w1-shaped weight (K = 4096, N = 14336). F32 runs oneDNN directly;
 * BF16 widens blocks of weight rows and runs oneDNN f32 on them. Compare {@code flops} (FLOP/s) with
 * {@link MachineBenchmark#fmaPeak}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class MatmulBenchmark {
    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"512"})
    public int m;

    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private Arena arena;
    private Tensor x;
    private Tensor w;
    private Tensor y;

    @Setup(Level.Trial)
    public void setUp() {
        backend = CpuBackend.create(threads);
        arena = Arena.ofShared();
        x = RandomTensors.uniform(arena, DType.F32, 1, m, 4096);
        w = RandomTensors.uniform(arena, DType.valueOf(dtype.toUpperCase()), 2, 14336, 4096);
        y = Tensor.allocate(arena, DType.F32, m, 14336);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }

    @Benchmark
    public void matmul(Traffic traffic) {
        backend.matmul(x, w, y);
        traffic.flops += 2.0 * m * w.dim(0) * w.dim(1);
    }
}
