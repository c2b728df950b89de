package io.moe4j.engine.backend.cpu;

import io.moe4j.nativelib.OneDnnLibrary;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@code dnnl_memory_set_data_handle} taking the data pointer as a plain address.
 *
 * <p>Why not the generated binding: it takes a {@code MemorySegment}, and pointing oneDNN at a block inside a
 * tensor would mean a new slice object per block per call — heap allocation on the hot path. Callers check bounds
 * and that the owning arena is alive before they compute an address (see {@link #address}).
 */
final class DataHandles {
    private static final MethodHandle SET = Linker.nativeLinker().downcallHandle(
            OneDnnLibrary.load().lookup().find("dnnl_memory_set_data_handle").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));

    private DataHandles() {}

    static void set(MemorySegment memory, long address) {
        int status;
        try {
            status = (int) SET.invokeExact(memory, address);
        } catch (Throwable t) {
            throw new IllegalStateException("dnnl_memory_set_data_handle failed", t);
        }
        if (status != 0) OneDnn.check(status, "dnnl_memory_set_data_handle");
    }

    /** The address of byte {@code offset} of {@code segment}, after checking that it is alive and in bounds. */
    static long address(MemorySegment segment, long offset, long bytes) {
        if (!segment.scope().isAlive()) throw new IllegalStateException("the memory of a tensor was freed (its arena is closed)");
        java.util.Objects.checkFromIndexSize(offset, bytes, segment.byteSize());
        return segment.address() + offset;
    }
}
