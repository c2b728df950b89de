package io.moe4j.models.format.gguf;

import io.moe4j.engine.tensor.Shape;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a GGUF tensor table: name, ggml type, shape, and where the bytes lie.
 *
 * <p>{@code shape} is ours, outermost dimension first (row-major), which is ggml's {@code ne} reversed: ggml lists
 * the contiguous dimension first, so a [rows, columns] matrix is stored as {@code ne = [columns, rows]}.
 * {@code offset} is relative to the start of the data section ({@link GgufFile#dataStart()}), as in the file.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] shape, long offset, long byteSize) {
    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
    }

    /** A copy, so the record stays immutable. */
    @Override
    public long[] shape() { return shape.clone(); }

    /** The dimensions in ggml's order, contiguous first, as the file stores them. */
    public long[] ne() {
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) ne[i] = shape[shape.length - 1 - i];
        return ne;
    }

    public long elements() { return Shape.elements(shape); }

    /** One past the last byte, relative to the data section. */
    public long end() { return offset + byteSize; }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo other && name.equals(other.name) && type == other.type
                && Arrays.equals(shape, other.shape) && offset == other.offset && byteSize == other.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(shape), offset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Shape.toString(shape) + " @[" + offset + ", " + end() + ")";
    }
}
