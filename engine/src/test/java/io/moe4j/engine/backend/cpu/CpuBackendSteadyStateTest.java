package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Once a shape has been seen, calls reuse cached primitives and scratch and allocate (almost) nothing on the heap. */
class CpuBackendSteadyStateTest {

    @Test
    void primitivesAreCachedPerShapeAndMBucket() {
        try (CpuBackend backend = CpuBackend.create(2); Arena arena = Arena.ofShared()) {
            Tensor w = Tensor.allocate(arena, DType.F32, 96, 64);
            for (int m : new int[] {1, 1, 5, 70, 5, 300}) {
                backend.matmul(Tensor.allocate(arena, DType.F32, m, 64), w, Tensor.allocate(arena, DType.F32, m, 96));
            }
            assertEquals(3, backend.primitiveCount(),
                    "M=1 has its own primitive; M = 2..256 share a swapped one (runtime token count); larger M a runtime-M one");
        }
    }

    @Test
    void warmCallsDoNotAllocateOnTheHeap() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (CpuBackend backend = CpuBackend.create(2); Arena arena = Arena.ofShared()) {
            Tensor x1 = Tensor.allocate(arena, DType.F32, 1, 256);
            Tensor x32 = Tensor.allocate(arena, DType.F32, 32, 256);
            Tensor wf = Tensor.allocate(arena, DType.F32, 512, 256);
            Tensor wb = Tensor.allocate(arena, DType.BF16, 512, 256);
            Tensor y1 = Tensor.allocate(arena, DType.F32, 1, 512);
            Tensor y32 = Tensor.allocate(arena, DType.F32, 32, 512);
            Tensor n = Tensor.allocate(arena, DType.F32, 256);
            Runnable step = () -> {
                backend.matmul(x1, wf, y1);
                backend.matmul(x1, wb, y1);
                backend.matmul(x32, wf, y32);
                backend.matmul(x32, wb, y32);
                backend.rmsNorm(x32, n, 1e-5f, x32);
                backend.siluMul(y32, y32, y32);
            };
            for (int i = 0; i < 20_000; i++) step.run();
            long before = threads.getCurrentThreadAllocatedBytes();
            int calls = 1000;
            for (int i = 0; i < calls; i++) step.run();
            long perStep = (threads.getCurrentThreadAllocatedBytes() - before) / calls;
            assertTrue(perStep < 64, "a warm step allocated " + perStep + " bytes on the heap");
        }
    }
}
