package io.moe4j.models.format.gguf;

import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Writes a GGUF version 3 file: magic, version, counts, the metadata, the tensor table, padding to the alignment,
 * then each tensor's bytes, each starting at a multiple of the alignment (32 unless {@code general.alignment} is
 * set, through {@link #alignment} or {@link #metadata}).
 *
 * <p>Tensors are given with our row-major shape and written with ggml's {@code ne} order (reversed). Plain types
 * come from {@link Tensor}s; block-quantized types are raw block bytes, exactly as ggml lays them out, from a
 * {@link Source} that the writer calls when it reaches the tensor, so a quantizer can produce one tensor at a time
 * and never hold a whole model. Everything the reader checks is checked here too, so whatever this writes,
 * {@link GgufFile#open} accepts.
 */
public final class GgufWriter {
    /** Produces a tensor's bytes, exactly {@code byteSize} of them, when the writer reaches it. */
    public interface Source {
        MemorySegment bytes();
    }

    private record Entry(String name, byte[] nameBytes, GgmlType type, long[] shape, long byteSize, Source source) {}

    private static final byte[] ZEROS = new byte[4096];
    private static final int CHUNK = 1 << 30; // ByteBuffer views are int-indexed

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> tensors = new LinkedHashMap<>();

    /** Sets a metadata entry (replacing an earlier value for the key); entries are written in first-set order. */
    public GgufWriter metadata(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes > GgufReader.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("metadata key of " + keyBytes + " bytes exceeds GGUF's " + GgufReader.MAX_KEY_BYTES);
        }
        if (value.type() == GgufValueType.ARRAY && value.asArray().depth() > GgufReader.MAX_ARRAY_DEPTH) {
            throw new IllegalArgumentException("metadata key '" + key + "': arrays nested " + value.asArray().depth()
                    + " deep; readers accept at most " + GgufReader.MAX_ARRAY_DEPTH);
        }
        if (key.equals(GgufReader.ALIGNMENT_KEY)) {
            long a = value.type() == GgufValueType.UINT32 ? (Long) value.value() : 0;
            if (a == 0 || (a & (a - 1)) != 0) {
                throw new IllegalArgumentException(GgufReader.ALIGNMENT_KEY + " must be a uint32 power of two, got " + value);
            }
        }
        metadata.put(key, value);
        return this;
    }

    /** Aligns the data section and every tensor to {@code alignment} bytes (a power of two); sets {@code general.alignment}. */
    public GgufWriter alignment(int alignment) {
        return metadata(GgufReader.ALIGNMENT_KEY, GgufValue.uint32(alignment));
    }

    /** Adds a contiguous tensor of any dtype GGUF can hold ({@link GgmlType#of}); its bytes are read at {@link #write}. */
    public GgufWriter add(String name, Tensor tensor) {
        tensor.requireContiguous("GGUF tensor '" + name + "'");
        return add(name, GgmlType.of(tensor.dtype()), tensor.shape(), tensor::segment);
    }

    /**
     * Adds a tensor of any ggml type with row-major {@code shape} (at most 4 dimensions, each positive, the last a
     * multiple of the type's block size) whose bytes {@code source} produces later.
     */
    public GgufWriter add(String name, GgmlType type, long[] shape, Source source) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > GgufReader.MAX_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is " + nameBytes.length
                    + " bytes; GGUF allows " + GgufReader.MAX_NAME_BYTES);
        }
        if (tensors.containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        if (shape.length > GgufReader.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': rank " + shape.length + " exceeds GGUF's " + GgufReader.MAX_DIMS);
        }
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException("tensor '" + name + "': dimensions must be positive, got " + Shape.toString(shape));
        }
        long rowLength = shape.length == 0 ? 1 : shape[shape.length - 1];
        if (rowLength % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + rowLength + " is not a multiple of "
                    + type + "'s block size " + type.blockSize());
        }
        long byteSize = Math.multiplyExact(Shape.elements(shape) / type.blockSize(), (long) type.typeSize());
        tensors.put(name, new Entry(name, nameBytes, type, shape.clone(), byteSize, source));
        return this;
    }

    public void write(Path file) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            write(out);
        }
    }

    public void write(WritableByteChannel out) throws IOException {
        long alignment = metadata.containsKey(GgufReader.ALIGNMENT_KEY)
                ? (Long) metadata.get(GgufReader.ALIGNMENT_KEY).value() : GgufReader.DEFAULT_ALIGNMENT;
        Header h = new Header();
        h.i32(GgufReader.MAGIC).i32(3).i64(tensors.size()).i64(metadata.size());
        for (var e : metadata.entrySet()) {
            h.string(e.getKey());
            h.i32(e.getValue().type().id());
            h.value(e.getValue());
        }
        long offset = 0;
        for (Entry t : tensors.values()) {
            h.i64(t.nameBytes().length).bytes(t.nameBytes());
            h.i32(t.shape().length);
            for (int j = t.shape().length - 1; j >= 0; j--) h.i64(t.shape()[j]); // ne: contiguous dimension first
            h.i32(t.type().id());
            h.i64(offset);
            offset = alignUp(offset + t.byteSize(), alignment);
        }
        long headerBytes = h.size();
        writeFully(out, ByteBuffer.wrap(h.toByteArray()));
        // Without tensors there is no data section to align, and padding for one would cost up to 2^31 bytes.
        if (!tensors.isEmpty()) pad(out, alignUp(headerBytes, alignment) - headerBytes);
        for (Entry t : tensors.values()) {
            MemorySegment bytes = t.source().bytes();
            if (bytes.byteSize() != t.byteSize()) {
                throw new IllegalStateException("tensor '" + t.name() + "': source gave " + bytes.byteSize()
                        + " bytes, but " + t.type() + " " + Shape.toString(t.shape()) + " takes " + t.byteSize());
            }
            for (long pos = 0; pos < bytes.byteSize(); pos += CHUNK) {
                writeFully(out, bytes.asSlice(pos, Math.min(CHUNK, bytes.byteSize() - pos)).asByteBuffer());
            }
            pad(out, alignUp(t.byteSize(), alignment) - t.byteSize());
        }
    }

    private static long alignUp(long n, long alignment) {
        return Math.ceilDiv(n, alignment) * alignment;
    }

    private static void pad(WritableByteChannel out, long n) throws IOException {
        while (n > 0) {
            int k = (int) Math.min(n, ZEROS.length);
            writeFully(out, ByteBuffer.wrap(ZEROS, 0, k));
            n -= k;
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) out.write(buffer);
    }

    /** The header as little-endian bytes in memory: metadata and table are small next to the tensors. */
    private static final class Header extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Header i8(int v) { write(v); return this; }

        Header i16(int v) { return put(scratch.clear().putShort((short) v)); }

        Header i32(int v) { return put(scratch.clear().putInt(v)); }

        Header i64(long v) { return put(scratch.clear().putLong(v)); }

        Header bytes(byte[] b) { write(b, 0, b.length); return this; }

        Header string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return i64(b.length).bytes(b);
        }

        private Header put(ByteBuffer filled) {
            write(filled.array(), 0, filled.position());
            return this;
        }

        void value(GgufValue v) {
            switch (v.type()) {
                case UINT8, INT8 -> i8((int) (long) (Long) v.value());
                case UINT16, INT16 -> i16((int) (long) (Long) v.value());
                case UINT32, INT32 -> i32((int) (long) (Long) v.value());
                case UINT64, INT64 -> i64((Long) v.value());
                case FLOAT32 -> i32(Float.floatToRawIntBits((Float) v.value()));
                case FLOAT64 -> i64(Double.doubleToRawLongBits((Double) v.value()));
                case BOOL -> i8((Boolean) v.value() ? 1 : 0);
                case STRING -> string((String) v.value());
                case ARRAY -> array((GgufArray) v.value());
            }
        }

        void array(GgufArray a) {
            i32(a.elementType().id()).i64(a.size());
            switch (a.data()) {
                case byte[] b -> bytes(b);
                case short[] s -> { for (short x : s) i16(x); }
                case int[] x -> { for (int y : x) i32(y); }
                case long[] x -> { for (long y : x) i64(y); }
                case float[] x -> { for (float y : x) i32(Float.floatToRawIntBits(y)); }
                case double[] x -> { for (double y : x) i64(Double.doubleToRawLongBits(y)); }
                case boolean[] x -> { for (boolean y : x) i8(y ? 1 : 0); }
                case String[] x -> { for (String y : x) string(y); }
                case GgufArray[] x -> { for (GgufArray y : x) array(y); }
                default -> throw new AssertionError(a.data().getClass());
            }
        }
    }
}
