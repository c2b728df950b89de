package io.moe4j.jmh;

import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.backend.cpu.probe.FmaPeak;
import io.moe4j.engine.backend.cpu.probe.ReadBandwidth;
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

import java.util.concurrent.TimeUnit;

/** The machine's limits as our kernels see them: streaming read bandwidth (bytes/s) and vector FMA peak (FLOP/s). */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class MachineBenchmark {
    @Param({"2"})
    public int threads;

    private WorkerPool pool;
    private ReadBandwidth read;
    private FmaPeak fma;

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        read = new ReadBandwidth(pool, 1L << 30);
        fma = new FmaPeak(pool);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        read.close();
        pool.close();
    }

    @Benchmark
    public void readBandwidth(Traffic traffic) {
        traffic.bytes += read.readOnce();
    }

    @Benchmark
    public void fmaPeak(Traffic traffic) {
        traffic.flops += fma.runOnce();
    }
}
