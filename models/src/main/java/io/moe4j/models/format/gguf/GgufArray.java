package io.moe4j.models.format.gguf;

import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A GGUF metadata array: one element type and that many elements, which may themselves be arrays.
 *
 * <p>Elements are held in a primitive Java array of the element type's width ({@code byte[]} for UINT8 and INT8,
 * {@code int[]} for UINT32 and INT32, …; {@code String[]} and {@code GgufArray[]} for the rest), so an array read
 * from a file takes about as much heap as it took bytes in the file. Unsigned elements keep their bit pattern and
 * are widened without sign in {@link #toLongs()} and {@link #toInts()}. Instances are immutable: factories copy
 * their input and accessors return copies.
 */
public final class GgufArray {
    private final GgufValueType elementType;
    private final Object data;
    private final int size;
    private final int depth;

    private GgufArray(GgufValueType elementType, Object data) {
        this.elementType = elementType;
        this.data = data;
        this.size = Array.getLength(data);
        int d = 1;
        if (data instanceof GgufArray[] nested) {
            for (GgufArray a : nested) d = Math.max(d, Objects.requireNonNull(a, "nested array").depth + 1);
        }
        this.depth = d;
    }

    /** Takes {@code data} (already the element type's Java array) without copying; for the reader. */
    static GgufArray wrap(GgufValueType elementType, Object data) {
        return new GgufArray(elementType, data);
    }

    /** The backing Java array, not copied; for the writer. */
    Object data() { return data; }

    public static GgufArray ofUint8(byte... v) { return new GgufArray(GgufValueType.UINT8, v.clone()); }

    public static GgufArray ofInt8(byte... v) { return new GgufArray(GgufValueType.INT8, v.clone()); }

    public static GgufArray ofUint16(short... v) { return new GgufArray(GgufValueType.UINT16, v.clone()); }

    public static GgufArray ofInt16(short... v) { return new GgufArray(GgufValueType.INT16, v.clone()); }

    /** {@code v} holds the unsigned values' bit patterns. */
    public static GgufArray ofUint32(int... v) { return new GgufArray(GgufValueType.UINT32, v.clone()); }

    public static GgufArray ofInt32(int... v) { return new GgufArray(GgufValueType.INT32, v.clone()); }

    /** {@code v} holds the unsigned values' bit patterns. */
    public static GgufArray ofUint64(long... v) { return new GgufArray(GgufValueType.UINT64, v.clone()); }

    public static GgufArray ofInt64(long... v) { return new GgufArray(GgufValueType.INT64, v.clone()); }

    public static GgufArray ofFloat32(float... v) { return new GgufArray(GgufValueType.FLOAT32, v.clone()); }

    public static GgufArray ofFloat64(double... v) { return new GgufArray(GgufValueType.FLOAT64, v.clone()); }

    public static GgufArray ofBool(boolean... v) { return new GgufArray(GgufValueType.BOOL, v.clone()); }

    public static GgufArray ofStrings(List<String> v) {
        String[] copy = v.toArray(String[]::new);
        for (String s : copy) Objects.requireNonNull(s, "string element");
        return new GgufArray(GgufValueType.STRING, copy);
    }

    public static GgufArray ofStrings(String... v) { return ofStrings(Arrays.asList(v)); }

    public static GgufArray ofArrays(List<GgufArray> v) {
        return new GgufArray(GgufValueType.ARRAY, v.toArray(GgufArray[]::new));
    }

    public static GgufArray ofArrays(GgufArray... v) { return ofArrays(Arrays.asList(v)); }

    public GgufValueType elementType() { return elementType; }

    public int size() { return size; }

    /** 1 for an array of scalars or strings, 1 + the deepest element's depth for an array of arrays. */
    public int depth() { return depth; }

    /** Element {@code index} as a value of {@link #elementType()}. */
    public GgufValue get(int index) {
        Objects.checkIndex(index, size);
        return switch (data) {
            case byte[] b when elementType == GgufValueType.UINT8 -> GgufValue.uint8(b[index] & 0xFF);
            case byte[] b -> GgufValue.int8(b[index]);
            case short[] s when elementType == GgufValueType.UINT16 -> GgufValue.uint16(s[index] & 0xFFFF);
            case short[] s -> GgufValue.int16(s[index]);
            case int[] i when elementType == GgufValueType.UINT32 -> GgufValue.uint32(Integer.toUnsignedLong(i[index]));
            case int[] i -> GgufValue.int32(i[index]);
            case long[] l -> new GgufValue(elementType, l[index]);
            case float[] f -> GgufValue.float32(f[index]);
            case double[] d -> GgufValue.float64(d[index]);
            case boolean[] z -> GgufValue.bool(z[index]);
            case String[] s -> GgufValue.string(s[index]);
            case GgufArray[] a -> GgufValue.array(a[index]);
            default -> throw new AssertionError(data.getClass());
        };
    }

    /** Integer elements of any width; fails for a UINT64 element above 2^63 − 1. */
    public long[] toLongs() {
        requireInteger("long");
        long[] out = new long[size];
        for (int i = 0; i < size; i++) out[i] = widen(i);
        if (elementType == GgufValueType.UINT64) {
            for (int i = 0; i < size; i++) {
                if (out[i] < 0) {
                    throw new IllegalStateException("element " + i + " is uint64 " + Long.toUnsignedString(out[i])
                            + ", which does not fit a long");
                }
            }
        }
        return out;
    }

    /** Integer elements of any width whose values fit an {@code int}. */
    public int[] toInts() {
        requireInteger("int");
        if (data instanceof int[] ints && elementType == GgufValueType.INT32) return ints.clone();
        int[] out = new int[size];
        for (int i = 0; i < size; i++) {
            long v = widen(i);
            if (v != (int) v || (elementType == GgufValueType.UINT64 && v < 0)) {
                throw new IllegalStateException("element " + i + " is " + elementType + " " + get(i).describe()
                        + ", which does not fit an int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** FLOAT32 elements. */
    public float[] toFloats() {
        if (!(data instanceof float[] f)) throw new IllegalStateException("is an array of " + elementType + ", not float32");
        return f.clone();
    }

    /** FLOAT32 or FLOAT64 elements. */
    public double[] toDoubles() {
        if (data instanceof double[] d) return d.clone();
        if (!(data instanceof float[] f)) {
            throw new IllegalStateException("is an array of " + elementType + ", not float32 or float64");
        }
        double[] out = new double[size];
        for (int i = 0; i < size; i++) out[i] = f[i];
        return out;
    }

    public boolean[] toBooleans() {
        if (!(data instanceof boolean[] z)) throw new IllegalStateException("is an array of " + elementType + ", not bool");
        return z.clone();
    }

    public List<String> strings() {
        if (!(data instanceof String[] s)) throw new IllegalStateException("is an array of " + elementType + ", not string");
        return List.of(s);
    }

    public List<GgufArray> arrays() {
        if (!(data instanceof GgufArray[] a)) throw new IllegalStateException("is an array of " + elementType + ", not array");
        return List.of(a);
    }

    private void requireInteger(String wanted) {
        if (!elementType.isInteger()) {
            throw new IllegalStateException("is an array of " + elementType + ", not of integers (wanted " + wanted + ")");
        }
    }

    /** Element {@code i} of an integer array, unsigned types zero-extended (UINT64 keeps its bits). */
    private long widen(int i) {
        boolean unsigned = elementType.isUnsigned();
        return switch (data) {
            case byte[] b -> unsigned ? b[i] & 0xFF : b[i];
            case short[] s -> unsigned ? s[i] & 0xFFFF : s[i];
            case int[] v -> unsigned ? Integer.toUnsignedLong(v[i]) : v[i];
            case long[] l -> l[i];
            default -> throw new AssertionError(data.getClass());
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray other && elementType == other.elementType
                && Arrays.deepEquals(new Object[] {data}, new Object[] {other.data});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {data});
    }

    /** The element type, the size and the first few elements; vocabularies run to 10^5 entries. */
    @Override
    public String toString() {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < Math.min(size, 8); i++) shown.add(get(i).describe());
        if (size > 8) shown.add("…");
        return "array<" + elementType + ">[" + size + "] " + shown;
    }
}
