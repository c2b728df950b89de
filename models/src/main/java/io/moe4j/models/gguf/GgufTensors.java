package io.moe4j.models.gguf;

import io.moe4j.engine.backend.cpu.quant.Dequantize;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.MissingTensorException;
import io.moe4j.models.format.gguf.GgufFile;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Tensors of a GGUF file fetched by name with their expected row-major shape; errors name the tensor and the file.
 * Views are zero-copy; the few tensors that must be rewritten (q/k rows, non-F32 norms) are copied into the model's
 * arena.
 */
final class GgufTensors {
    private final GgufFile file;
    private final Arena arena;

    GgufTensors(GgufFile file, Arena arena) {
        this.file = file;
        this.arena = arena;
    }

    /** The mapped tensor (a view, no copy) with this shape, in any type the engine computes with. */
    Tensor weight(String name, long... shape) {
        if (!file.contains(name)) throw new MissingTensorException(file.path(), name);
        Tensor t = file.tensor(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new FormatException(file.path(), "tensor '" + name + "' has shape " + Shape.toString(t.shape())
                    + ", expected " + Shape.toString(shape));
        }
        DType type = t.dtype();
        if (type != DType.F32 && type != DType.F16 && type != DType.BF16 && !Dequantize.supports(type)) {
            throw new FormatException(file.path(), "tensor '" + name + "' is " + type
                    + "; expected F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K");
        }
        return t;
    }

    /**
     * A float32 tensor — norm weights (the norm kernels read F32) and router weights (router math is float32) — as a
     * copy into the arena unless stored as F32; block-quantized ones are dequantized exactly.
     */
    Tensor f32(String name, long... shape) {
        Tensor t = weight(name, shape);
        if (t.dtype() == DType.F32) return t;
        Tensor copy = Tensor.allocate(arena, DType.F32, shape);
        if (t.dtype().isBlockQuantized()) {
            Dequantize.run(t.dtype(), t.segment(), 0, copy.segment(), 0, t.size());
        } else {
            t.copyTo(copy);
        }
        return copy;
    }

    /**
     * Undoes llama.cpp's q/k permutation: the converter stored row {@code h·hd + s·hd/2 + i} of each head at
     * {@code h·hd + 2i + s} (s ∈ {0, 1}, i < hd/2) so that its interleaved RoPE sees HF's half-split pairs as
     * neighbours. Whole rows move, so this works for any type (a row is whole blocks); the result is owned by the
     * arena.
     */
    Tensor unpermuted(String name, int heads, int headDim, long columns) {
        long rows = (long) heads * headDim;
        Tensor stored = weight(name, rows, columns);
        Tensor out = Tensor.allocate(arena, stored.dtype(), rows, columns);
        long rowBytes = stored.byteSize() / rows;
        MemorySegment src = stored.segment(), dst = out.segment();
        int half = headDim / 2;
        for (long h = 0; h < heads; h++) {
            for (int s = 0; s < 2; s++) {
                for (int i = 0; i < half; i++) {
                    long to = h * headDim + (long) s * half + i, from = h * headDim + 2L * i + s;
                    MemorySegment.copy(src, from * rowBytes, dst, to * rowBytes, rowBytes);
                }
            }
        }
        return out;
    }

    /**
     * Expert {@code e} of a stacked {@code [E, R, C]} tensor: a zero-copy {@code [R, C]} view of its contiguous slab
     * (whole rows, so whole blocks for quantized types; sliced by bytes because a block-quantized tensor has no
     * per-element strides to select with).
     */
    static Tensor expert(Tensor stacked, long e) {
        long slab = stacked.byteSize() / stacked.dim(0);
        return Tensor.of(stacked.segment().asSlice(e * slab, slab), stacked.dtype(), stacked.dim(1), stacked.dim(2));
    }

    boolean contains(String name) { return file.contains(name); }
}
