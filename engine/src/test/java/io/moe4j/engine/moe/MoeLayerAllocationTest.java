package io.moe4j.engine.moe;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.reference.RandomLayers;
import io.moe4j.engine.moe.reference.RandomLayers.Spec;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A softmax_topk layer's forward call allocates nothing on the Java heap once warm (Mixtral decode and prefill
 * shapes, scaled down). The thread's allocation counter is read around rounds of 200 calls until one round
 * allocates less than one byte a call (nothing, in practice) (JIT compilation, and the escape analysis that removes temporary objects,
 * happens in the background); the test fails if no round gets there within 20 s.
 */
class MoeLayerAllocationTest {
    static final int CALLS = 200;
    static final long PATIENCE_NANOS = 20_000_000_000L;
    static final long BYTES_PER_CALL = 1;

    @Test
    void forwardDoesNotAllocateOnceWarm() {
        var jvmArgs = ManagementFactory.getRuntimeMXBean().getInputArguments().toString();
        assumeTrue(!jvmArgs.contains("-Xint") && !jvmArgs.contains("TieredStopAtLevel"), "needs C2");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        List<String> failures = new ArrayList<>();
        try (CpuBackend backend = CpuBackend.create(2); Arena arena = Arena.ofShared()) {
            for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
                Spec spec = new Spec().name("topk k2").router(RouterKind.SOFTMAX_TOPK).size(64, 96, 8).k(2).dtype(dtype);
                RandomLayers.Layer l = RandomLayers.build(arena, spec);
                try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                    for (int t : new int[] {1, 16}) {
                        Tensor x = LayerRunner.x(arena, RandomLayers.tokens(new SplittableRandom(t), t, spec.d));
                        Tensor y = Tensor.allocate(arena, DType.F32, t, spec.d);
                        RoutingStats stats = new RoutingStats(spec.e);
                        long perCall = Long.MAX_VALUE, start = System.nanoTime();
                        int rounds = 0;
                        while (perCall >= BYTES_PER_CALL && System.nanoTime() - start < PATIENCE_NANOS) {
                            long before = threads.getCurrentThreadAllocatedBytes();
                            for (int i = 0; i < CALLS; i++) layer.forward(x, null, y, stats);
                            perCall = (threads.getCurrentThreadAllocatedBytes() - before) / CALLS;
                            rounds++;
                        }
                        System.out.printf("softmax_topk %s T=%2d: %d B/call after %d rounds of %d calls (%d ms)%n", dtype, t,
                                perCall, rounds, CALLS, (System.nanoTime() - start) / 1_000_000);
                        if (perCall >= BYTES_PER_CALL) failures.add(dtype + " T=" + t + ": " + perCall + " B per forward call");
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), "forward still allocating after " + PATIENCE_NANOS / 1_000_000_000 + " s: " + failures);
    }
}
