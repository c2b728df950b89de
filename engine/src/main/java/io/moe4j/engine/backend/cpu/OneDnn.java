package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;
import io.moe4j.bindings.dnnl.dnnl_version_t;
import io.moe4j.nativelib.OneDnnLibrary;
import io.moe4j.nativelib.OpenMp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A oneDNN CPU engine and what every call needs around it: status checks, version and ISA queries, and the
 * OpenMP thread count. One per backend; closing it destroys the engine.
 */
public final class OneDnn implements AutoCloseable {
    private final OneDnnLibrary library;
    private final OpenMp openMp;
    private final MemorySegment engine;
    private volatile boolean closed;

    public OneDnn() {
        this.library = OneDnnLibrary.load();
        this.openMp = OpenMp.of(library);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(dnnl_h.dnnl_engine_create(out, dnnl_h.dnnl_cpu(), 0), "dnnl_engine_create");
            this.engine = out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** Throws {@link OneDnnException} unless {@code status} is {@code dnnl_success}. */
    public static void check(int status, String call) {
        if (status != dnnl_h.dnnl_success()) {
            MemorySegment name = dnnl_h.dnnl_status2str(status);
            String text = name.equals(MemorySegment.NULL) ? "unknown status" : name.reinterpret(256).getString(0);
            throw new OneDnnException(call, status, text);
        }
    }

    MemorySegment engine() {
        if (closed) throw new IllegalStateException("the oneDNN engine is closed");
        return engine;
    }

    OpenMp openMp() { return openMp; }

    public OneDnnLibrary library() { return library; }

    /** The version of the loaded library, e.g. {@code 3.13.0 (commit abc123)}. */
    public String version() {
        MemorySegment v = dnnl_h.dnnl_version().reinterpret(dnnl_version_t.sizeof());
        MemorySegment hash = dnnl_version_t.hash(v);
        String id = hash.equals(MemorySegment.NULL) ? "" : hash.reinterpret(64).getString(0);
        String commit = id.isEmpty() || id.equals("N/A") ? "" : " (commit " + id + ")";
        return dnnl_version_t.major(v) + "." + dnnl_version_t.minor(v) + "." + dnnl_version_t.patch(v) + commit;
    }

    /** The instruction set oneDNN's JIT dispatches to on this machine. */
    public String effectiveIsa() {
        return CpuIsa.name(dnnl_h.dnnl_get_effective_cpu_isa());
    }

    /** OpenMP threads oneDNN uses for calls from this thread, or -1 when it does not use OpenMP. */
    public int openMpThreads() {
        return openMp.maxThreads();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        check(dnnl_h.dnnl_engine_destroy(engine), "dnnl_engine_destroy");
    }
}
