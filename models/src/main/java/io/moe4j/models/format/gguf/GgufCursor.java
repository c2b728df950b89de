package io.moe4j.models.format.gguf;

import io.moe4j.models.format.FormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Reads little-endian GGUF fields from a segment, front to back, checking before every read that the bytes are
 * there. A read past the end is a {@link FormatException} naming the field and its offset, never an
 * {@link IndexOutOfBoundsException} from the segment: every length and count is compared with {@link #remaining()}
 * before anything is read or allocated for it.
 */
final class GgufCursor {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final MemorySegment bytes;
    private final long size;
    /** Strict: GGUF strings are UTF-8, and silently replacing bad bytes would change names and tokens. */
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long position;

    GgufCursor(Path file, MemorySegment bytes) {
        this.file = file;
        this.bytes = bytes;
        this.size = bytes.byteSize();
    }

    Path file() { return file; }

    long position() { return position; }

    long size() { return size; }

    long remaining() { return size - position; }

    FormatException error(String detail) {
        return new FormatException(file, detail);
    }

    /** Fails unless {@code n} more bytes exist for {@code what}. */
    void need(long n, String what) {
        if (n > remaining()) {
            throw error(what + " at offset " + position + " needs " + n + " bytes, but the file ends "
                    + remaining() + " bytes later (truncated?)");
        }
    }

    int u8(String what) {
        need(1, what);
        return bytes.get(ValueLayout.JAVA_BYTE, position++) & 0xFF;
    }

    short i16(String what) {
        need(2, what);
        short v = bytes.get(I16, position);
        position += 2;
        return v;
    }

    int i32(String what) {
        need(4, what);
        int v = bytes.get(I32, position);
        position += 4;
        return v;
    }

    /** A u32 as a non-negative long. */
    long u32(String what) {
        return Integer.toUnsignedLong(i32(what));
    }

    /** A u64 or i64 as Java's long (a u64 of 2^63 or more comes back negative; callers range-check). */
    long i64(String what) {
        need(8, what);
        long v = bytes.get(I64, position);
        position += 8;
        return v;
    }

    float f32(String what) {
        need(4, what);
        float v = bytes.get(F32, position);
        position += 4;
        return v;
    }

    double f64(String what) {
        need(8, what);
        double v = bytes.get(F64, position);
        position += 8;
        return v;
    }

    /**
     * A u64 element count for {@code what}, checked so that {@code count} elements of at least
     * {@code minBytesEach} bytes fit in what is left of the file and in a Java array ({@code maxCount}).
     */
    long count(String what, long minBytesEach, long maxCount) {
        long count = i64(what);
        // A u64 of 2^63 or more reads as negative: no file holds that many of anything.
        if (count < 0 || count > remaining() / minBytesEach) {
            throw error(what + " " + Long.toUnsignedString(count) + " cannot fit: each takes at least " + minBytesEach
                    + " bytes and only " + remaining() + " bytes follow (corrupt count or truncated file?)");
        }
        if (count > maxCount) throw error(what + " " + count + " exceeds the limit of " + maxCount);
        return count;
    }

    /**
     * A GGUF string: u64 byte length, then UTF-8. {@code what} (and {@code index}, when not negative) name it in
     * errors; they are joined only on failure, so reading a 10^5-token vocabulary builds no message strings.
     */
    String string(String what, long index, int maxBytes) {
        long length = i64(what);
        if (length < 0 || length > remaining()) {
            throw error(name(what, index) + ": length " + Long.toUnsignedString(length) + " exceeds the "
                    + remaining() + " bytes left in the file");
        }
        if (length > maxBytes) {
            throw error(name(what, index) + ": length " + length + " exceeds the limit of " + maxBytes + " bytes");
        }
        int n = (int) length;
        byte[] b = new byte[n];
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, position, b, 0, n);
        position += n;
        return decode(b, what, index);
    }

    byte[] bytes(int n) {
        byte[] out = new byte[n];
        MemorySegment.copy(bytes, ValueLayout.JAVA_BYTE, advance(n, 1), out, 0, n);
        return out;
    }

    short[] shorts(int n) {
        short[] out = new short[n];
        MemorySegment.copy(bytes, I16, advance(n, 2), out, 0, n);
        return out;
    }

    int[] ints(int n) {
        int[] out = new int[n];
        MemorySegment.copy(bytes, I32, advance(n, 4), out, 0, n);
        return out;
    }

    long[] longs(int n) {
        long[] out = new long[n];
        MemorySegment.copy(bytes, I64, advance(n, 8), out, 0, n);
        return out;
    }

    float[] floats(int n) {
        float[] out = new float[n];
        MemorySegment.copy(bytes, F32, advance(n, 4), out, 0, n);
        return out;
    }

    double[] doubles(int n) {
        double[] out = new double[n];
        MemorySegment.copy(bytes, F64, advance(n, 8), out, 0, n);
        return out;
    }

    /** Moves past {@code n} elements of {@code width} bytes, which {@link #count} has already shown to exist. */
    private long advance(int n, int width) {
        long start = position;
        long length = (long) n * width;
        if (length > remaining()) throw new IllegalStateException("bulk read of " + length + " bytes was not bounds-checked");
        position += length;
        return start;
    }

    private String decode(byte[] b, String what, long index) {
        boolean ascii = true;
        for (byte x : b) {
            if (x < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) return new String(b, StandardCharsets.ISO_8859_1); // the common case, and no decoder needed
        try {
            return utf8.decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw error(name(what, index) + " is not valid UTF-8");
        }
    }

    private static String name(String what, long index) {
        return index < 0 ? what : what + " [" + index + "]";
    }
}
