package io.moe4j.models.format.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Little-endian bytes for hand-crafted GGUF files. Every field is written as given, so tests can build exactly the
 * malformed files the {@link GgufWriter} refuses to produce.
 */
final class GgufBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** Magic, version, tensor count and metadata count. */
    static GgufBytes header(int version, long tensorCount, long kvCount) {
        return new GgufBytes().raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(version).u64(tensorCount).u64(kvCount);
    }

    GgufBytes u8(int v) {
        out.write(v);
        return this;
    }

    GgufBytes u16(int v) { return put(le(2).putShort((short) v)); }

    GgufBytes u32(long v) { return put(le(4).putInt((int) v)); }

    GgufBytes u64(long v) { return put(le(8).putLong(v)); }

    GgufBytes f32(float v) { return put(le(4).putFloat(v)); }

    GgufBytes f64(double v) { return put(le(8).putDouble(v)); }

    GgufBytes raw(byte[] b) {
        out.write(b, 0, b.length);
        return this;
    }

    /** A GGUF string: u64 length and the UTF-8 bytes. */
    GgufBytes string(String s) { return stringBytes(s.getBytes(StandardCharsets.UTF_8)); }

    GgufBytes stringBytes(byte[] b) { return u64(b.length).raw(b); }

    /** A metadata key and value type; the caller writes the value. */
    GgufBytes key(String key, GgufValueType type) { return string(key).u32(type.id()); }

    /** A tensor info with {@code ne} in file order (contiguous dimension first). */
    GgufBytes tensorInfo(String name, int ggmlType, long offset, long... ne) {
        string(name).u32(ne.length);
        for (long d : ne) u64(d);
        return u32(ggmlType).u64(offset);
    }

    /** Zero bytes up to the next multiple of {@code alignment}: where the data section starts. */
    GgufBytes padTo(int alignment) {
        while (out.size() % alignment != 0) out.write(0);
        return this;
    }

    GgufBytes zeros(int n) {
        for (int i = 0; i < n; i++) out.write(0);
        return this;
    }

    int size() { return out.size(); }

    byte[] bytes() { return out.toByteArray(); }

    private GgufBytes put(ByteBuffer b) {
        out.write(b.array(), 0, b.position());
        return this;
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
