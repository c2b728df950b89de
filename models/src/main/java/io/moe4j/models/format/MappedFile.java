package io.moe4j.models.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;

/** Checkpoint files mapped read-only into memory, for the tensors to be views of. */
public final class MappedFile {
    private MappedFile() {}

    /**
     * Maps the first {@code size} bytes of {@code channel} read-only for the lifetime of {@code arena}, and hands
     * the mapping back as a plain native segment (same bytes, same scope, still read-only).
     *
     * <p>Why not the mapped segment itself: kernels then see one segment class for weights, whether mapped from a
     * file or computed at load (permuted, quantized). With two classes in the type profile of the Vector API
     * loads, C2 compiles them with a type check on every load, and which profile a kernel gets depends on what
     * ran first: Q4_0 decoding ran at 22 instead of 29 tokens/s after a prefill on the benchmark model (2-core
     * AVX2). The mapping lives as long as the arena, so nothing that {@link MemorySegment#isMapped} would offer
     * (load, force) is needed.
     */
    public static MemorySegment map(FileChannel channel, long size, Arena arena) throws IOException {
        MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        return mapped.reinterpret(size);
    }
}
