package io.moe4j.nativelib;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The two OpenMP runtime calls we need to control oneDNN's threads, found among libdnnl's dependencies.
 *
 * <p>OpenMP keeps the thread count per calling thread, so the backend sets it on the thread that is about to
 * call oneDNN. A oneDNN built without OpenMP has no such symbols: then {@link #isAvailable()} is false and
 * oneDNN uses its own threading.
 */
public final class OpenMp {
    private final MethodHandle setNumThreads;
    private final MethodHandle getMaxThreads;

    private OpenMp(MethodHandle setNumThreads, MethodHandle getMaxThreads) {
        this.setNumThreads = setNumThreads;
        this.getMaxThreads = getMaxThreads;
    }

    public static OpenMp of(OneDnnLibrary library) {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> set = library.lookup().find("omp_set_num_threads");
        Optional<MemorySegment> get = library.lookup().find("omp_get_max_threads");
        if (set.isEmpty() || get.isEmpty()) return new OpenMp(null, null);
        return new OpenMp(
                linker.downcallHandle(set.get(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT), Linker.Option.critical(false)),
                linker.downcallHandle(get.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT), Linker.Option.critical(false)));
    }

    public boolean isAvailable() { return setNumThreads != null; }

    /** Sets the OpenMP thread count of the calling thread; does nothing without OpenMP. */
    public void setNumThreads(int threads) {
        if (setNumThreads == null) return;
        try {
            setNumThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("omp_set_num_threads failed", t);
        }
    }

    /** The calling thread's OpenMP thread count, or -1 without OpenMP. */
    public int maxThreads() {
        if (getMaxThreads == null) return -1;
        try {
            return (int) getMaxThreads.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException("omp_get_max_threads failed", t);
        }
    }
}
