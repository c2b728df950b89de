package io.moe4j.models.format.gguf;

import io.moe4j.engine.tensor.DType;

import java.util.Optional;

/**
 * The ggml tensor types a GGUF file can name, with ggml's type ids and block geometry: {@link #blockSize()}
 * elements are stored in {@link #typeSize()} bytes.
 *
 * <p>Every type ggml has shipped in GGUF files is listed, not only the ones the engine computes with, so that a
 * file holding, say, a Q4_1 tensor still opens (its metadata and tensor table are readable, its byte ranges are
 * checked) and only asking for that tensor fails, with the type's name in the message. Ids not listed here are
 * rejected while reading, because without a block geometry a tensor's size, and so its place in the file, is
 * unknown.
 */
public enum GgmlType {
    F32(0, 1, 4, DType.F32),
    F16(1, 1, 2, DType.F16),
    Q4_0(2, 32, 18, DType.Q4_0),
    Q4_1(3, 32, 20, null),
    Q5_0(6, 32, 22, null),
    Q5_1(7, 32, 24, null),
    Q8_0(8, 32, 34, DType.Q8_0),
    /** ggml's size (two f16 + 32 int8); gguf-py lists 40, but Q8_1 is an activation type never stored in files. */
    Q8_1(9, 32, 36, null),
    Q2_K(10, 256, 84, null),
    Q3_K(11, 256, 110, null),
    Q4_K(12, 256, 144, DType.Q4_K),
    Q5_K(13, 256, 176, DType.Q5_K),
    Q6_K(14, 256, 210, DType.Q6_K),
    Q8_K(15, 256, 292, null),
    IQ2_XXS(16, 256, 66, null),
    IQ2_XS(17, 256, 74, null),
    IQ3_XXS(18, 256, 98, null),
    IQ1_S(19, 256, 50, null),
    IQ4_NL(20, 32, 18, null),
    IQ3_S(21, 256, 110, null),
    IQ2_S(22, 256, 82, null),
    IQ4_XS(23, 256, 136, null),
    I8(24, 1, 1, DType.I8),
    I16(25, 1, 2, DType.I16),
    I32(26, 1, 4, DType.I32),
    I64(27, 1, 8, DType.I64),
    F64(28, 1, 8, DType.F64),
    IQ1_M(29, 256, 56, null),
    BF16(30, 1, 2, DType.BF16),
    /** Interleaved Q4_0 layouts, since removed from ggml's file format (now repacked at load). */
    Q4_0_4_4(31, 32, 18, null),
    Q4_0_4_8(32, 32, 18, null),
    Q4_0_8_8(33, 32, 18, null),
    TQ1_0(34, 256, 54, null),
    TQ2_0(35, 256, 66, null),
    /** Interleaved IQ4_NL layouts, since removed as the Q4_0_x_x ones were. */
    IQ4_NL_4_4(36, 32, 18, null),
    IQ4_NL_4_8(37, 32, 18, null),
    IQ4_NL_8_8(38, 32, 18, null),
    MXFP4(39, 32, 17, null),
    NVFP4(40, 64, 36, null);

    private static final GgmlType[] BY_ID = indexById();

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final DType dtype;

    GgmlType(int id, int blockSize, int typeSize, DType dtype) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.dtype = dtype;
        if (dtype != null && (dtype.blockSize() != blockSize || dtype.blockBytes() != typeSize)) {
            throw new AssertionError(this + " geometry differs from " + dtype);
        }
    }

    /** The id stored in a GGUF tensor info. */
    public int id() { return id; }

    /** Elements per block (1 for plain types). */
    public int blockSize() { return blockSize; }

    /** Bytes per block. */
    public int typeSize() { return typeSize; }

    /** Whether the engine can view tensors of this type ({@link #dtype()} is present). */
    public boolean isSupported() { return dtype != null; }

    /** The engine's dtype for this type; empty for types the engine does not compute with. */
    public Optional<DType> dtype() { return Optional.ofNullable(dtype); }

    /** The type with this id, or empty for ids ggml never used in files (or that this reader does not know). */
    public static Optional<GgmlType> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[(int) id]) : Optional.empty();
    }

    /**
     * The ggml type that stores {@code dtype}.
     *
     * @throws IllegalArgumentException for dtypes GGUF cannot hold (U8, BOOL)
     */
    public static GgmlType of(DType dtype) {
        for (GgmlType t : values()) {
            if (t.dtype == dtype) return t;
        }
        throw new IllegalArgumentException("GGUF has no tensor type for " + dtype);
    }

    private static GgmlType[] indexById() {
        int max = 0;
        for (GgmlType t : values()) max = Math.max(max, t.id);
        GgmlType[] index = new GgmlType[max + 1];
        for (GgmlType t : values()) index[t.id] = t;
        return index;
    }
}
