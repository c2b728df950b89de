package io.moe4j.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An n-dimensional array in native memory: a dtype, a shape, strides (in elements) and the
 * {@link MemorySegment} that starts at element {@code [0, …, 0]}.
 *
 * <p>A tensor never owns memory: the {@link Arena} that allocated or mapped its segment does. Views
 * ({@link #reshape}, {@link #slice}, {@link #select}, {@link #transpose}) share that segment, so closing the
 * arena invalidates every view at once, and any later access fails with an {@link IllegalStateException}
 * from the FFM runtime instead of touching freed memory.
 *
 * <p>Block-quantized dtypes are stored whole rows at a time: their tensors are contiguous and can only be
 * sliced along dimension 0.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED;

    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final MemorySegment segment;
    private final boolean contiguous;

    private Tensor(DType dtype, long[] shape, long[] strides, MemorySegment segment) {
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.segment = segment;
        this.contiguous = Arrays.equals(strides, Shape.rowMajorStrides(shape)) || Shape.elements(shape) <= 1;
    }

    /** A zero-filled contiguous tensor allocated in {@code arena} (64-byte aligned for vector loads). */
    public static Tensor allocate(Arena arena, DType dtype, long... shape) {
        long bytes = dtype.bytesFor(Shape.elements(shape));
        MemorySegment segment = arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        return new Tensor(dtype, shape.clone(), Shape.rowMajorStrides(shape), segment);
    }

    /** A contiguous tensor over {@code segment}, which must hold exactly the tensor's bytes. */
    public static Tensor of(MemorySegment segment, DType dtype, long... shape) {
        long bytes = dtype.bytesFor(Shape.elements(shape));
        if (segment.byteSize() != bytes) {
            throw new IllegalArgumentException("segment of " + segment.byteSize() + " bytes cannot hold " + dtype
                    + " " + Shape.toString(shape) + " (" + bytes + " bytes)");
        }
        return new Tensor(dtype, shape.clone(), Shape.rowMajorStrides(shape), segment);
    }

    /** A new contiguous F32 tensor in {@code arena} holding {@code values} with {@code shape}. */
    public static Tensor ofFloats(Arena arena, float[] values, long... shape) {
        Tensor t = allocate(arena, DType.F32, shape);
        if (values.length != t.size()) {
            throw new IllegalArgumentException(values.length + " values for shape " + Shape.toString(shape));
        }
        MemorySegment.copy(values, 0, t.segment, F32, 0, values.length);
        return t;
    }

    public DType dtype() { return dtype; }

    public int rank() { return shape.length; }

    public long dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    public long[] shape() { return shape.clone(); }

    public long stride(int i) { return strides[i < 0 ? strides.length + i : i]; }

    public long[] strides() { return strides.clone(); }

    /** Number of elements. */
    public long size() { return Shape.elements(shape); }

    /** Bytes the elements take when stored contiguously. */
    public long byteSize() { return dtype.bytesFor(size()); }

    /** The memory starting at element {@code [0, …, 0]}; for a contiguous tensor exactly its bytes. */
    public MemorySegment segment() { return segment; }

    /** Whether the elements lie in row-major order with no gaps. */
    public boolean isContiguous() {
        return contiguous;
    }

    /** The same elements with another shape of equal size; the tensor must be contiguous. */
    public Tensor reshape(long... newShape) {
        requireContiguous("reshape");
        if (Shape.elements(newShape) != size()) {
            throw new IllegalArgumentException("cannot reshape " + Shape.toString(shape) + " to " + Shape.toString(newShape));
        }
        return new Tensor(dtype, newShape.clone(), Shape.rowMajorStrides(newShape), segment);
    }

    /** Elements {@code [start, end)} along {@code dim}, without copying. */
    public Tensor slice(int dim, long start, long end) {
        checkDim(dim);
        if (start < 0 || end > shape[dim] || start > end) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of dimension " + dim
                    + " with size " + shape[dim]);
        }
        if (dtype.isBlockQuantized() && dim != 0) {
            throw new UnsupportedOperationException(dtype + " tensors can only be sliced along dimension 0");
        }
        long[] newShape = shape.clone();
        newShape[dim] = end - start;
        long offset = dtype.bytesFor(Math.multiplyExact(start, strides[dim]));
        return new Tensor(dtype, newShape, strides.clone(), segment.asSlice(offset, extentBytes(newShape, strides, offset)));
    }

    /** The sub-tensor at {@code index} along {@code dim}, with that dimension removed. */
    public Tensor select(int dim, long index) {
        Tensor s = slice(dim, index, index + 1);
        long[] newShape = new long[shape.length - 1];
        long[] newStrides = new long[shape.length - 1];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (i == dim) continue;
            newShape[j] = shape[i];
            newStrides[j++] = strides[i];
        }
        return new Tensor(dtype, newShape, newStrides, s.segment);
    }

    /** Row {@code i} of dimension 0. */
    public Tensor row(long i) { return select(0, i); }

    /** Swaps two dimensions (a view with permuted strides). */
    public Tensor transpose(int a, int b) {
        checkDim(a);
        checkDim(b);
        if (dtype.isBlockQuantized()) throw new UnsupportedOperationException(dtype + " tensors cannot be transposed");
        long[] newShape = shape.clone();
        long[] newStrides = strides.clone();
        newShape[a] = shape[b]; newShape[b] = shape[a];
        newStrides[a] = strides[b]; newStrides[b] = strides[a];
        return new Tensor(dtype, newShape, newStrides, segment);
    }

    /** Byte offset of the element at {@code index} from the start of {@link #segment()}. */
    public long byteOffset(long... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for tensor of rank " + shape.length);
        }
        long e = 0;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside " + Shape.toString(shape));
            }
            e += index[i] * strides[i];
        }
        if (dtype.isBlockQuantized()) throw new UnsupportedOperationException("element access on " + dtype);
        return e * dtype.blockBytes();
    }

    /** Reads one element of a floating-point or integer tensor as a float (slow path, for tools and tests). */
    public float getFloat(long... index) {
        long off = byteOffset(index);
        return switch (dtype) {
            case F32 -> segment.get(F32, off);
            case F16 -> Float.float16ToFloat(segment.get(I16, off));
            case BF16 -> Float.intBitsToFloat(segment.get(I16, off) << 16);
            case F64 -> (float) segment.get(F64, off);
            case I32 -> segment.get(I32, off);
            case I64 -> segment.get(I64, off);
            case I16 -> segment.get(I16, off);
            case I8 -> segment.get(ValueLayout.JAVA_BYTE, off);
            case U8, BOOL -> Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, off));
            case Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> throw new UnsupportedOperationException("element access on " + dtype);
        };
    }

    /** Writes one element, rounding to the tensor's dtype (slow path, for tools and tests). */
    public void setFloat(float value, long... index) {
        long off = byteOffset(index);
        switch (dtype) {
            case F32 -> segment.set(F32, off, value);
            case F16 -> segment.set(I16, off, Float.floatToFloat16(value));
            case BF16 -> segment.set(I16, off, BFloat16.fromFloat(value));
            case F64 -> segment.set(F64, off, value);
            case I32 -> segment.set(I32, off, (int) value);
            case I64 -> segment.set(I64, off, (long) value);
            case I16 -> segment.set(I16, off, (short) value);
            case I8, U8, BOOL -> segment.set(ValueLayout.JAVA_BYTE, off, (byte) value);
            case Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> throw new UnsupportedOperationException("element access on " + dtype);
        }
    }

    /** All elements in row-major order as floats (slow path, for tools and tests). */
    public float[] toFloatArray() {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) throw new IllegalStateException("tensor too large for a Java array: " + n);
        float[] out = new float[(int) n];
        if (dtype == DType.F32 && isContiguous()) {
            MemorySegment.copy(segment, F32, 0, out, 0, out.length);
            return out;
        }
        long[] index = new long[shape.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = getFloat(index);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return out;
    }

    /** Copies this tensor's elements into {@code dst} (same shape), converting dtype when they differ. */
    public void copyTo(Tensor dst) {
        if (!Arrays.equals(shape, dst.shape)) {
            throw new IllegalArgumentException("copy from " + Shape.toString(shape) + " to " + Shape.toString(dst.shape));
        }
        if (dtype == dst.dtype && isContiguous() && dst.isContiguous()) {
            MemorySegment.copy(segment, 0, dst.segment, 0, byteSize());
            return;
        }
        long[] index = new long[shape.length];
        for (long i = 0, n = size(); i < n; i++) {
            dst.setFloat(getFloat(index), index);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
    }

    public Tensor requireDType(DType expected, String what) {
        if (dtype != expected) throw new IllegalArgumentException(what + " must be " + expected + ", got " + dtype);
        return this;
    }

    // Fixed-arity forms: hot paths check shapes on every call, and a varargs call allocates its long[] each time.
    public Tensor requireShape(String what, long d0) {
        if (shape.length != 1 || shape[0] != d0) requireShape(what, new long[] {d0});
        return this;
    }

    public Tensor requireShape(String what, long d0, long d1) {
        if (shape.length != 2 || shape[0] != d0 || shape[1] != d1) requireShape(what, new long[] {d0, d1});
        return this;
    }

    public Tensor requireShape(String what, long d0, long d1, long d2) {
        if (shape.length != 3 || shape[0] != d0 || shape[1] != d1 || shape[2] != d2) requireShape(what, new long[] {d0, d1, d2});
        return this;
    }

    public Tensor requireShape(String what, long... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(what + " must have shape " + Shape.toString(expected)
                    + ", got " + Shape.toString(shape));
        }
        return this;
    }

    public Tensor requireContiguous(String what) {
        if (!isContiguous()) throw new IllegalArgumentException(what + " needs a contiguous tensor, got strides "
                + Arrays.toString(strides) + " for shape " + Shape.toString(shape));
        return this;
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Shape.toString(shape) + (isContiguous() ? "" : " strides " + Arrays.toString(strides)) + "]";
    }

    private void checkDim(int dim) {
        if (dim < 0 || dim >= shape.length) {
            throw new IndexOutOfBoundsException("dimension " + dim + " of a rank-" + shape.length + " tensor");
        }
    }

    private long extentBytes(long[] shape, long[] strides, long offset) {
        if (Shape.elements(shape) == 0) return 0;
        long last = 0;
        for (int i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
        long bytes = dtype.bytesFor(last + dtype.blockSize());
        return Math.min(bytes, segment.byteSize() - offset);
    }
}
