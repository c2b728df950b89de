package io.moe4j.models.format;

import io.moe4j.engine.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One {@code .safetensors} file, memory-mapped read-only.
 *
 * <p>Layout: an 8-byte little-endian length {@code N}, {@code N} bytes of UTF-8 JSON, then the data area;
 * each tensor's {@code data_offsets} are relative to the data area, which starts at byte {@code 8 + N}.
 *
 * <p>The whole file is mapped once, into a shared arena this object owns, so {@link #tensor} views can be
 * read from any thread and cost nothing to create: no tensor bytes are copied, and pages load on first
 * touch. Opening therefore only reads the header. {@link #close()} unmaps the file; every view then fails
 * with {@link IllegalStateException} on access instead of reading unmapped memory.
 *
 * <p>Views read native-order values, which matches the file's little-endian data on the platforms the
 * engine supports (x86-64, AArch64).
 */
public final class SafeTensors implements AutoCloseable {
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final long dataStart;
    private final SafeTensorsHeader header;
    private final List<String> names;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SafeTensors(Path path, Arena arena, MemorySegment data, long dataStart, SafeTensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.dataStart = dataStart;
        this.header = header;
        this.names = List.copyOf(header.tensors().keySet());
    }


    /**
     * Maps {@code path} and validates its header.
     *
     * @throws IOException     if the file cannot be opened or mapped
     * @throws FormatException if the file is not a valid safetensors file
     */
    public static SafeTensors open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment file;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < 8) {
                    throw new FormatException(path, "file is " + size + " bytes, too short for the 8-byte header length");
                }
                // The mapping outlives the channel; the arena decides when it goes away.
                file = MappedFile.map(channel, size, arena);
            }
            long headerLength = file.get(U64_LE, 0);
            // A u64 above 2^63 reads as negative: just as absurd as one above the limit.
            if (headerLength < 0 || headerLength > SafeTensorsHeader.MAX_HEADER_BYTES) {
                throw new FormatException(path, "header length " + Long.toUnsignedString(headerLength)
                        + " is absurd (limit " + SafeTensorsHeader.MAX_HEADER_BYTES + " bytes); not a safetensors file?");
            }
            if (headerLength > file.byteSize() - 8) {
                throw new FormatException(path, "header length " + headerLength + " exceeds the "
                        + (file.byteSize() - 8) + " bytes that follow the length field (truncated file?)");
            }
            byte[] json = file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
            long dataStart = 8 + headerLength;
            MemorySegment data = file.asSlice(dataStart);
            SafeTensorsHeader header = SafeTensorsHeader.parse(path, json, data.byteSize());
            return new SafeTensors(path, arena, data, dataStart, header);
        } catch (Throwable t) {
            arena.close();
            throw t;
        }
    }

    /** The file as it was given to {@link #open}. */
    public Path path() { return path; }

    /** Tensor names in the order the header lists them (not necessarily sorted, nor in data order). */
    public List<String> names() { return names; }

    public boolean contains(String name) { return header.tensors().containsKey(name); }

    /**
     * Dtype, shape and offsets of a tensor. Header queries ({@link #names}, {@link #info}, {@link #metadata})
     * keep working after {@link #close()}; only tensor data goes away.
     *
     * @throws MissingTensorException if the file has no tensor by that name
     */
    public SafeTensorInfo info(String name) {
        SafeTensorInfo info = header.tensors().get(name);
        if (info == null) throw new MissingTensorException(path, name);
        return info;
    }

    /**
     * A contiguous view of the tensor's bytes in the mapping; no copy. Its segment may be unaligned, which
     * {@link Tensor}'s accessors allow, and is read-only: writing through it throws
     * {@link UnsupportedOperationException} (copy into an allocated tensor first).
     *
     * @throws MissingTensorException if the file has no tensor by that name
     * @throws IllegalStateException  if this file has been closed
     */
    public Tensor tensor(String name) {
        SafeTensorInfo info = info(name);
        if (closed.get()) throw new IllegalStateException(path + " is closed; cannot read tensor '" + name + "'");
        return Tensor.of(data.asSlice(info.begin(), info.byteSize()), info.dtype(), info.shape());
    }

    /** The {@code __metadata__} strings, in file order; empty if the file has none. */
    public Map<String, String> metadata() { return header.metadata(); }

    /** File offset where the data area starts ({@code 8 + N}); {@link SafeTensorInfo} offsets are relative to it. */
    public long dataStart() { return dataStart; }

    /** Unmaps the file. Idempotent; views obtained earlier throw {@link IllegalStateException} when read. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) arena.close();
    }

    @Override
    public String toString() {
        return "SafeTensors[" + path + ", " + names.size() + " tensors" + (closed.get() ? ", closed" : "") + "]";
    }
}
