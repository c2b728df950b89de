package io.moe4j.engine.tensor;

/**
 * Element types a tensor can hold. Plain types have one element per block; block-quantized types
 * (added by the GGUF work) pack {@link #blockSize()} elements into {@link #blockBytes()} bytes, so every
 * byte count goes through {@link #bytesFor(long)}.
 */
public enum DType {
    F64(1, 8),
    F32(1, 4),
    F16(1, 2),
    BF16(1, 2),
    I64(1, 8),
    I32(1, 4),
    I16(1, 2),
    I8(1, 1),
    U8(1, 1),
    BOOL(1, 1),
    /** ggml Q8_0: 32 weights = f16 scale d + 32 × int8 q; w = d·q. */
    Q8_0(32, 34),
    /** ggml Q4_0: 32 weights = f16 scale d + 16 bytes of 4-bit q; w = d·(q − 8). */
    Q4_0(32, 18),
    /** ggml Q4_K: 256 weights in 8 sub-blocks of 32, 6-bit sub-scales and mins under f16 d, dmin. */
    Q4_K(256, 144),
    /** ggml Q5_K: as Q4_K with a fifth bit per weight. */
    Q5_K(256, 176),
    /** ggml Q6_K: 256 weights in 16 sub-blocks of 16, int8 sub-scales under one f16 d. */
    Q6_K(256, 210);

    private final int blockSize;
    private final int blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** Elements per storage block (1 for plain types). */
    public int blockSize() { return blockSize; }

    /** Bytes per storage block (the element size for plain types). */
    public int blockBytes() { return blockBytes; }

    public boolean isBlockQuantized() { return blockSize > 1; }

    public boolean isFloatingPoint() { return this == F64 || this == F32 || this == F16 || this == BF16; }

    /** Bytes needed for {@code elements} elements; throws when they do not fill whole blocks or overflow. */
    public long bytesFor(long elements) {
        if (elements < 0) throw new IllegalArgumentException("negative element count " + elements);
        if (elements % blockSize != 0) {
            throw new IllegalArgumentException(
                    this + " stores blocks of " + blockSize + " elements; " + elements + " is not a multiple");
        }
        return Math.multiplyExact(elements / blockSize, (long) blockBytes);
    }
}
