package io.moe4j.models.format;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a safetensors header: the tensor's dtype, its shape and where its bytes lie.
 * {@code begin} and {@code end} are byte offsets relative to the start of the data area (which starts
 * right after the JSON header, see {@link SafeTensors#dataStart()}), exactly as the file stores them.
 */
public record SafeTensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public SafeTensorInfo {
        shape = shape.clone();
    }

    /** A copy, so the record stays immutable. */
    @Override
    public long[] shape() { return shape.clone(); }

    public long elements() { return Shape.elements(shape); }

    public long byteSize() { return end - begin; }

    @Override
    public boolean equals(Object o) {
        return o instanceof SafeTensorInfo other && name.equals(other.name) && dtype == other.dtype
                && Arrays.equals(shape, other.shape) && begin == other.begin && end == other.end;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Shape.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
