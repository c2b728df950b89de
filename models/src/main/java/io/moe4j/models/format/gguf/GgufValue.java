package io.moe4j.models.format.gguf;

import java.util.Objects;

/**
 * One GGUF metadata value: its {@link GgufValueType} and the Java value that holds it.
 *
 * <p>Integers of every width are held as a {@link Long} carrying the value itself; a UINT64 above
 * {@link Long#MAX_VALUE} is held as its two's-complement bits, so {@link #asLong()} refuses it rather than
 * returning a negative number. FLOAT32 is a {@link Float}, FLOAT64 a {@link Double}, BOOL a {@link Boolean},
 * STRING a {@link String} and ARRAY a {@link GgufArray}. The factories and the constructor check that the value
 * fits its type, so a value that exists can always be written back.
 *
 * <p>The {@code as…} accessors convert only where nothing is lost (any integer type to {@code long} when it fits,
 * FLOAT32 to {@code double}) and otherwise throw {@link IllegalStateException} saying what the value is;
 * {@link GgufMetadata} turns that into a {@link io.moe4j.models.format.FormatException} naming file and key.
 */
public record GgufValue(GgufValueType type, Object value) {
    public GgufValue {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(value, "value");
        Class<?> expected = switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> Long.class;
            case FLOAT32 -> Float.class;
            case FLOAT64 -> Double.class;
            case BOOL -> Boolean.class;
            case STRING -> String.class;
            case ARRAY -> GgufArray.class;
        };
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException(type + " value must be a " + expected.getSimpleName() + ", got "
                    + value.getClass().getSimpleName());
        }
        if (type.isInteger() && type != GgufValueType.UINT64 && type != GgufValueType.INT64) {
            long v = (Long) value;
            if (v < min(type) || v > max(type)) {
                throw new IllegalArgumentException(v + " does not fit " + type + " [" + min(type) + ", " + max(type) + "]");
            }
        }
    }

    public static GgufValue uint8(int v) { return new GgufValue(GgufValueType.UINT8, (long) v); }

    public static GgufValue int8(int v) { return new GgufValue(GgufValueType.INT8, (long) v); }

    public static GgufValue uint16(int v) { return new GgufValue(GgufValueType.UINT16, (long) v); }

    public static GgufValue int16(int v) { return new GgufValue(GgufValueType.INT16, (long) v); }

    public static GgufValue uint32(long v) { return new GgufValue(GgufValueType.UINT32, v); }

    public static GgufValue int32(int v) { return new GgufValue(GgufValueType.INT32, (long) v); }

    /** {@code bits} is the unsigned value's two's-complement bit pattern (so values above 2^63 are negative here). */
    public static GgufValue uint64(long bits) { return new GgufValue(GgufValueType.UINT64, bits); }

    public static GgufValue int64(long v) { return new GgufValue(GgufValueType.INT64, v); }

    public static GgufValue float32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }

    public static GgufValue float64(double v) { return new GgufValue(GgufValueType.FLOAT64, v); }

    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }

    public static GgufValue string(String v) { return new GgufValue(GgufValueType.STRING, v); }

    public static GgufValue array(GgufArray v) { return new GgufValue(GgufValueType.ARRAY, v); }

    /** Any integer type whose value fits a {@code long} (all but UINT64 values above 2^63 − 1). */
    public long asLong() {
        requireInteger("a long");
        long v = (Long) value;
        if (type == GgufValueType.UINT64 && v < 0) {
            throw new IllegalStateException("is uint64 " + Long.toUnsignedString(v) + ", which does not fit a long");
        }
        return v;
    }

    /** Any integer type whose value fits an {@code int}. */
    public int asInt() {
        requireInteger("an int");
        long v = (Long) value;
        if ((type == GgufValueType.UINT64 && v < 0) || v != (int) v) {
            throw new IllegalStateException("is " + type + " " + describe() + ", which does not fit an int");
        }
        return (int) v;
    }

    /** FLOAT32 only: a FLOAT64 would silently lose precision. */
    public float asFloat() {
        if (type != GgufValueType.FLOAT32) throw new IllegalStateException("is " + type + ", not float32");
        return (Float) value;
    }

    /** FLOAT32 or FLOAT64. */
    public double asDouble() {
        return switch (type) {
            case FLOAT32 -> (Float) value;
            case FLOAT64 -> (Double) value;
            default -> throw new IllegalStateException("is " + type + ", not float32 or float64");
        };
    }

    public boolean asBoolean() {
        if (type != GgufValueType.BOOL) throw new IllegalStateException("is " + type + ", not bool");
        return (Boolean) value;
    }

    public String asString() {
        if (type != GgufValueType.STRING) throw new IllegalStateException("is " + type + ", not string");
        return (String) value;
    }

    public GgufArray asArray() {
        if (type != GgufValueType.ARRAY) throw new IllegalStateException("is " + type + ", not array");
        return (GgufArray) value;
    }

    /** The value alone, as a reader would write it: unsigned integers unsigned, strings quoted. */
    public String describe() {
        return switch (type) {
            case UINT64 -> Long.toUnsignedString((Long) value);
            case STRING -> '"' + (String) value + '"';
            default -> String.valueOf(value);
        };
    }

    /** E.g. {@code uint32 4096}, {@code string "llama"}, {@code array<string>[32000] ["<unk>", …]}. */
    @Override
    public String toString() {
        return type == GgufValueType.ARRAY ? describe() : type + " " + describe();
    }

    private void requireInteger(String wanted) {
        if (!type.isInteger()) throw new IllegalStateException("is " + type + ", not an integer (wanted " + wanted + ")");
    }

    static long min(GgufValueType type) {
        return switch (type) {
            case INT8 -> Byte.MIN_VALUE;
            case INT16 -> Short.MIN_VALUE;
            case INT32 -> Integer.MIN_VALUE;
            case INT64 -> Long.MIN_VALUE;
            default -> 0;
        };
    }

    static long max(GgufValueType type) {
        return switch (type) {
            case UINT8 -> 0xFF;
            case INT8 -> Byte.MAX_VALUE;
            case UINT16 -> 0xFFFF;
            case INT16 -> Short.MAX_VALUE;
            case UINT32 -> 0xFFFF_FFFFL;
            case INT32 -> Integer.MAX_VALUE;
            default -> Long.MAX_VALUE;
        };
    }
}
