package io.moe4j.jmh;

import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
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

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * End-to-end decode and prefill on a checkpoint directory (write one with {@link BenchmarkModel}):
 * {@code scripts/jmh.sh ModelBenchmark -p model=/path/to/dir}. {@code decode}: one token per call (tokens/s =
 * calls/s); {@code prefill}: 64 prompt tokens per call ({@code tokens} counter). {@code heapBytes} per second of
 * decode should be 0.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector"})
@State(Scope.Benchmark)
public class ModelBenchmark {
    static final int PROMPT = 64;
    static final int CONTEXT = 1024;

    @Param({""})
    public String model;

    @Param({"2"})
    public int threads;

    private Model opened;
    private Session session;
    private final int[] prompt = new int[PROMPT];
    private int next = 3;
    private final java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (model.isEmpty()) throw new IllegalArgumentException("pass -p model=DIR (see BenchmarkModel)");
        opened = Model.open(Path.of(model), threads);
        session = opened.newSession(CONTEXT);
        for (int i = 0; i < PROMPT; i++) prompt[i] = 3 + (i * 7919) % (opened.config().vocab() - 3);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        session.close();
        opened.close();
    }

    @Benchmark
    public void decode(Traffic traffic) {
        if (session.position() == session.context()) session.reset();
        long before = ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes();
        session.next(next);
        traffic.heapBytes += ((com.sun.management.ThreadMXBean) mx).getCurrentThreadAllocatedBytes() - before;
        next = 3 + (next * 31) % 30000;
        traffic.tokens += 1;
    }

    @Benchmark
    public void prefill(Traffic traffic) {
        session.reset();
        session.prefill(prompt, null);
        traffic.tokens += PROMPT;
    }
}
