package io.moe4j.models.format.gguf;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.MappedFile;
import io.moe4j.models.format.MissingTensorException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One GGUF file (versions 2 and 3, little-endian), memory-mapped read-only.
 *
 * <p>{@link #open} maps the whole file once into a shared arena this object owns and validates everything before
 * the tensor bytes (header, metadata, tensor table, placement of every tensor); after that, {@link #tensor} views
 * cost nothing: no bytes are copied, pages load on first touch, and any thread may read them. {@link #close()}
 * unmaps the file; views obtained earlier then fail with {@link IllegalStateException} on access instead of
 * reading unmapped memory. Metadata and the tensor table stay readable after close.
 *
 * <p>Tensor views have our row-major shape ({@link GgufTensorInfo}) and are read-only. The data section starts at
 * a multiple of the file's alignment (32 unless {@code general.alignment} says otherwise) and every tensor offset
 * is a multiple of it too, so views are aligned to it in memory (a mapping starts on a page boundary).
 */
public final class GgufFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final GgufHeader header;
    private final Map<String, GgufTensorInfo> tensors;
    private final List<String> names;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GgufFile(Path path, Arena arena, MemorySegment contents, GgufHeader header) {
        this.path = path;
        this.arena = arena;
        this.header = header;
        // A file without tensors may end before its (empty) data section would start.
        this.data = contents.asSlice(Math.min(header.dataStart(), contents.byteSize()), header.dataSize());
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : header.tensors()) byName.put(t.name(), t);
        this.tensors = Collections.unmodifiableMap(byName);
        this.names = List.copyOf(byName.keySet());
    }

    /**
     * Maps {@code path} and validates it.
     *
     * @throws IOException     if the file cannot be opened or mapped
     * @throws FormatException if the file is not a valid GGUF file; the message names the part at fault
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment contents;
            try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
                long size = channel.size();
                // The mapping outlives the channel; the arena decides when it goes away. An empty file has
                // nothing to map; the reader rejects it like any other file too short for the magic.
                contents = size == 0 ? MemorySegment.ofArray(new byte[0])
                        : MappedFile.map(channel, size, arena);
            }
            return read(path, contents, arena);
        } catch (Throwable t) {
            arena.close();
            throw t;
        }
    }

    /**
     * Validates {@code contents} as the GGUF file {@code path} (used in messages only) and wraps it; the result
     * closes {@code arena} when closed, while on failure the arena stays the caller's. For tests and fuzzing, which
     * hand in bytes that were never a file.
     */
    static GgufFile read(Path path, MemorySegment contents, Arena arena) {
        return new GgufFile(path, arena, contents, GgufReader.parse(path, contents));
    }

    /** The file as it was given to {@link #open}. */
    public Path path() { return path; }

    /** 2 or 3. */
    public int version() { return header.version(); }

    public GgufMetadata metadata() { return header.metadata(); }

    /** Alignment of the data section and of every tensor in it. */
    public long alignment() { return header.alignment(); }

    /** File offset of the data section; {@link GgufTensorInfo#offset()} is relative to it. */
    public long dataStart() { return header.dataStart(); }

    /** The tensor table in file order. */
    public List<GgufTensorInfo> tensors() { return header.tensors(); }

    /** Tensor names in file order. */
    public List<String> names() { return names; }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** @throws MissingTensorException if the file has no tensor by that name */
    public GgufTensorInfo info(String name) {
        GgufTensorInfo info = tensors.get(name);
        if (info == null) throw new MissingTensorException(path, name);
        return info;
    }

    /**
     * A view of the tensor's bytes in the mapping, with our row-major shape; no copy. Read-only: writing through it
     * throws {@link IllegalArgumentException} (the FFM API's answer for a read-only segment).
     *
     * @throws MissingTensorException if the file has no tensor by that name
     * @throws FormatException        if the tensor's ggml type is one the engine does not compute with
     * @throws IllegalStateException  if this file has been closed
     */
    public Tensor tensor(String name) {
        GgufTensorInfo info = info(name);
        DType dtype = info.type().dtype().orElseThrow(() -> new FormatException(path, "tensor '" + name
                + "' has ggml type " + info.type() + ", which moe4j does not support (supported: " + supportedTypes() + ")"));
        return Tensor.of(bytes(name), dtype, info.shape());
    }

    /**
     * The tensor's bytes exactly as stored, whatever its ggml type (including types {@link #tensor} refuses); no
     * copy. For tools that pass tensors through unchanged, such as a writer copying a file.
     *
     * @throws MissingTensorException if the file has no tensor by that name
     * @throws IllegalStateException  if this file has been closed
     */
    public MemorySegment bytes(String name) {
        GgufTensorInfo info = info(name);
        if (closed.get()) throw new IllegalStateException(path + " is closed; cannot read tensor '" + name + "'");
        return data.asSlice(info.offset(), info.byteSize());
    }

    /** Unmaps the file. Idempotent; views obtained earlier throw {@link IllegalStateException} when read. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version() + ", " + metadata().size() + " metadata keys, " + names.size()
                + " tensors" + (closed.get() ? ", closed" : "") + "]";
    }

    private static String supportedTypes() {
        List<String> supported = new ArrayList<>();
        for (GgmlType t : GgmlType.values()) {
            if (t.isSupported()) supported.add(t.name());
        }
        return String.join(", ", supported);
    }
}
