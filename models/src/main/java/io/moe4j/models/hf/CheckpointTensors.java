package io.moe4j.models.hf;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.SafeTensorsCheckpoint;

import java.lang.foreign.Arena;
import java.util.Arrays;

/** Tensors of a checkpoint fetched by name with their expected shape; errors name the tensor and the checkpoint. */
final class CheckpointTensors {
    private final SafeTensorsCheckpoint checkpoint;
    private final Arena arena;

    CheckpointTensors(SafeTensorsCheckpoint checkpoint, Arena arena) {
        this.checkpoint = checkpoint;
        this.arena = arena;
    }

    /** The mapped tensor (a view, no copy), which must be F32, F16 or BF16 with this shape. */
    Tensor weight(String name, long... shape) {
        if (!checkpoint.contains(name)) throw new FormatException(checkpoint.source(), "missing tensor '" + name + "'");
        Tensor t = checkpoint.tensor(name);
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new FormatException(checkpoint.source(), "tensor '" + name + "' is " + t.dtype() + "; expected F32, F16 or BF16");
        }
        if (!Arrays.equals(t.shape(), shape)) {
            throw new FormatException(checkpoint.source(), "tensor '" + name + "' has shape " + Shape.toString(t.shape())
                    + ", expected " + Shape.toString(shape));
        }
        return t;
    }

    /** A float32 copy (norm weights: the norm kernels read F32), owned by the model's arena. */
    Tensor f32(String name, long... shape) {
        Tensor t = weight(name, shape);
        if (t.dtype() == DType.F32) return t;
        Tensor copy = Tensor.allocate(arena, DType.F32, shape);
        t.copyTo(copy);
        return copy;
    }

    boolean contains(String name) { return checkpoint.contains(name); }
}
