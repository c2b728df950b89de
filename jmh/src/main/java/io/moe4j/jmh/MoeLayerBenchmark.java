package io.moe4j.jmh;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.moe.SecondExpert;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One MoE layer forward at real model dims with random weights made in memory: Mixtral-8x7B (D=4096, F=14336,
 * E=8, k=2), DBRX (D=6144, F=10752, E=16, k=4) and the dims of the PyTorch comparison (D=2048, F=7168, E=8, k=2).
 * Counters: {@code bytes} = weight bytes of the experts the batch actually used (T=1: compare with
 * {@link MachineBenchmark#readBandwidth}), {@code flops} = 2·Σ_assignments·3·D·F (compare with
 * {@link DenseGemmBenchmark} at the same FLOPs), {@code heapBytes} = Java heap allocated by the call (should be 0).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class MoeLayerBenchmark {
    @Param({"mixtral"})
    public String shape;

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"1", "8", "32", "128", "512"})
    public int tokens;

    @Param({"2"})
    public int threads;

    private CpuBackend backend;
    private Arena arena;
    private MoeLayer layer;
    private Tensor x;
    private Tensor y;
    private RoutingStats stats;
    private long expertBytes;
    private double flopsPerAssignment;
    private final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();

    @Setup(Level.Trial)
    public void setUp() {
        LayerDims dims = LayerDims.of(shape);
        DType type = DType.valueOf(dtype.toUpperCase());
        backend = CpuBackend.create(threads);
        arena = Arena.ofShared();
        List<Expert> experts = new ArrayList<>();
        for (int e = 0; e < dims.experts(); e++) {
            experts.add(Expert.swiglu(
                    RandomTensors.uniform(arena, type, 100 + 3L * e, dims.ffn(), dims.model(), 0.02),
                    RandomTensors.uniform(arena, type, 101 + 3L * e, dims.ffn(), dims.model(), 0.02),
                    RandomTensors.uniform(arena, type, 102 + 3L * e, dims.model(), dims.ffn(), 0.02)));
        }
        Tensor router = RandomTensors.uniform(arena, DType.F32, 7, dims.experts(), dims.model(), 0.05);
        MoeConfig config = new MoeConfig(RouterKind.SOFTMAX_TOPK, dims.experts(), dims.topK(), Activation.SWIGLU,
                Normalize.L1, Double.NaN, 1, 1, 0, SecondExpert.TOP, false, 0);
        layer = MoeLayer.create(backend, config, MoeWeights.of(router, experts));
        x = RandomTensors.uniform(arena, DType.F32, 9, tokens, dims.model(), 1);
        y = Tensor.allocate(arena, DType.F32, tokens, dims.model());
        stats = new RoutingStats(dims.experts());
        expertBytes = experts.getFirst().weightBytes();
        flopsPerAssignment = 2.0 * 3 * dims.model() * dims.ffn();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        layer.close();
        backend.close();
        arena.close();
    }

    @Benchmark
    public void forward(Traffic traffic) {
        long before = ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes();
        layer.forward(x, null, y, stats);
        traffic.heapBytes += ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes() - before;
        long assignments = 0;
        int used = 0;
        for (int e = 0; e < stats.numExperts(); e++) {
            assignments += stats.expertLoad(e);
            if (stats.expertLoad(e) > 0) used++;
        }
        traffic.bytes += (double) used * expertBytes;
        traffic.flops += assignments * flopsPerAssignment;
        traffic.tokens += tokens;
    }
}
