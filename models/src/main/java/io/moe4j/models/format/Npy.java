package io.moe4j.models.format;

import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * NumPy {@code .npy} files: the small inputs and expected outputs that tools and tests exchange with Python.
 *
 * <p>Reads format versions 1.0, 2.0 and 3.0 and writes 1.0, byte-for-byte as {@code numpy.save} does.
 * Supported: little-endian {@code <f4 <f8 <i4 <i8} (F32, F64, I32, I64), C order, any rank including
 * scalars. Data is copied in and out through native memory; arrays never pass through the Java heap.
 *
 * <p>Layout: magic {@code \x93NUMPY}, major and minor version bytes, a little-endian header length (u16 in
 * 1.0, u32 in 2.0/3.0), the header (a Python dict literal, Latin-1 before 3.0, UTF-8 in 3.0) padded with
 * spaces and a newline so the data starts on a 64-byte boundary, then the raw elements.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data to this many bytes. */
    private static final int ALIGN = 64;
    /** numpy leaves room in the header for the leading dimension to grow to this many digits. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** Far beyond any real header; a larger length means a corrupt file, not a header to read. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    /** ByteBuffer views of segments are limited to int sizes; transfer in chunks of this many bytes. */
    private static final long CHUNK = 1 << 30;

    private Npy() {}

    /**
     * Reads {@code file} into a new contiguous tensor allocated in {@code arena}.
     *
     * @throws IOException     if the file cannot be read
     * @throws FormatException if it is not a supported, complete npy file
     */
    public static Tensor read(Path file, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer prefix = ByteBuffer.allocate((int) Math.min(size, 12)).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, prefix, 0);
            if (size < 10 || !prefix.slice(0, MAGIC.length).equals(ByteBuffer.wrap(MAGIC))) {
                throw new FormatException(file, "not an npy file (no \\x93NUMPY magic and version)");
            }
            int major = prefix.get(6) & 0xff;
            int minor = prefix.get(7) & 0xff;
            if ((major != 1 && major != 2 && major != 3) || minor != 0) {
                throw new FormatException(file, "unsupported npy format version " + major + "." + minor
                        + " (supported: 1.0, 2.0, 3.0)");
            }
            int lengthBytes = major == 1 ? 2 : 4;
            if (size < 8 + lengthBytes) throw new FormatException(file, "file ends inside the npy header length");
            long headerLength = major == 1 ? Short.toUnsignedInt(prefix.getShort(8)) : Integer.toUnsignedLong(prefix.getInt(8));
            long headerStart = 8 + lengthBytes;
            if (headerLength > MAX_HEADER_BYTES) {
                throw new FormatException(file, "npy header length " + headerLength + " is absurd (limit " + MAX_HEADER_BYTES + ")");
            }
            if (headerStart + headerLength > size) {
                throw new FormatException(file, "npy header of " + headerLength + " bytes is cut off: the file has "
                        + size + " bytes");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, headerStart);
            String text = new String(headerBytes.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            NpyHeader header = NpyHeader.parse(file, text);

            long dataStart = headerStart + headerLength;
            long bytes;
            try {
                bytes = header.dtype().bytesFor(Shape.elements(header.shape()));
            } catch (ArithmeticException e) {
                throw new FormatException(file, "npy shape " + Shape.toString(header.shape()) + " is too large", e);
            }
            long available = size - dataStart;
            if (available != bytes) {
                throw new FormatException(file, "npy data is " + available + " bytes but " + header.dtype() + " "
                        + Shape.toString(header.shape()) + " needs " + bytes
                        + (available < bytes ? " (truncated file)" : " (trailing bytes)"));
            }
            Tensor tensor = Tensor.allocate(arena, header.dtype(), header.shape());
            MemorySegment dst = tensor.segment();
            for (long off = 0; off < bytes; off += CHUNK) {
                readFully(channel, dst.asSlice(off, Math.min(CHUNK, bytes - off)).asByteBuffer(), dataStart + off);
            }
            return tensor;
        }
    }

    /**
     * Writes {@code tensor} to {@code file} (replacing it) in npy format 1.0, in row-major order whatever
     * the tensor's strides.
     *
     * @throws IllegalArgumentException if the dtype has no npy equivalent here (supported: F32, F64, I32, I64)
     */
    public static void write(Path file, Tensor tensor) throws IOException {
        if (!NpyHeader.supports(tensor.dtype())) {
            throw new IllegalArgumentException("npy cannot store " + tensor.dtype() + " tensors (supported: F32, F64, I32, I64)");
        }
        ByteBuffer header = ByteBuffer.wrap(headerBytes(new NpyHeader(tensor.dtype(), tensor.shape())));
        try (Arena scratch = Arena.ofConfined();
             FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                     StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(channel, header);
            MemorySegment data = tensor.isContiguous()
                    ? tensor.segment().asSlice(0, tensor.byteSize())
                    : rowMajorCopy(tensor, scratch);
            for (long off = 0; off < data.byteSize(); off += CHUNK) {
                writeFully(channel, data.asSlice(off, Math.min(CHUNK, data.byteSize() - off)).asByteBuffer());
            }
        }
    }

    /** Magic, version 1.0, length, and the dict padded as numpy pads it (growth room, then alignment). */
    static byte[] headerBytes(NpyHeader header) {
        long[] shape = header.shape();
        StringBuilder dict = new StringBuilder(header.format());
        if (shape.length > 0) dict.repeat(' ', GROWTH_AXIS_MAX_DIGITS - Long.toString(shape[0]).length());
        int withNewline = dict.length() + 1;
        int padding = ALIGN - (MAGIC.length + 2 + 2 + withNewline) % ALIGN; // 1..64, as numpy computes it
        dict.repeat(' ', padding).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (text.length > 0xffff) throw new IllegalArgumentException("npy 1.0 header too long for shape " + Shape.toString(shape));
        ByteBuffer out = ByteBuffer.allocate(MAGIC.length + 4 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return out.array();
    }

    /** Gathers a strided tensor's elements into a contiguous row-major buffer, copying raw bytes (lossless). */
    private static MemorySegment rowMajorCopy(Tensor tensor, Arena arena) {
        long elementBytes = tensor.dtype().blockBytes();
        MemorySegment out = arena.allocate(tensor.byteSize(), ALIGN);
        long[] shape = tensor.shape();
        long[] index = new long[shape.length];
        for (long i = 0, n = tensor.size(); i < n; i++) {
            MemorySegment.copy(tensor.segment(), tensor.byteOffset(index), out, i * elementBytes, elementBytes);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return out;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) throw new IOException("unexpected end of file at byte " + position);
            position += n;
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) channel.write(buffer);
    }
}
