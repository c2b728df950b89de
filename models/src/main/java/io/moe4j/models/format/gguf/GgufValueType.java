package io.moe4j.models.format.gguf;

import java.util.Locale;
import java.util.Optional;

/** The types of GGUF metadata values, with the ids the file stores and, for fixed-size types, their byte size. */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    /** A u64 byte length, then that many bytes of UTF-8. */
    STRING(8, 0),
    /** A u32 element type, a u64 count, then the elements (arrays may hold arrays). */
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /** The id stored in the file. */
    public int id() { return id; }

    /** Bytes one value takes in the file; 0 for the variable-size STRING and ARRAY. */
    public int size() { return size; }

    /**
     * The fewest bytes one value of this type takes in a file: an empty string is its 8-byte length, an empty
     * array its 4-byte type and 8-byte count. The reader bounds element counts by remaining bytes / this.
     */
    int minimumSize() {
        return switch (this) {
            case STRING -> 8;
            case ARRAY -> 12;
            default -> size;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public boolean isUnsigned() {
        return this == UINT8 || this == UINT16 || this == UINT32 || this == UINT64;
    }

    /** The type with this id; empty for ids the format does not define. */
    public static Optional<GgufValueType> byId(long id) {
        // Ids are declared in order 0..12, so the ordinal is the id.
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }

    /** The spelling of the GGUF specification and gguf-py, e.g. {@code uint32}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
