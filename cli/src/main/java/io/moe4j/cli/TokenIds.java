package io.moe4j.cli;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.Npy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/** Token ids from a {@code .npy} file: int32 or int64 {@code [T]}, returned as I32. */
final class TokenIds {
    private TokenIds() {}

    static Tensor read(Path file, Arena arena, long expectedTokens) throws IOException {
        Tensor ids = Npy.read(file, arena);
        if (ids.dtype() != DType.I32 && ids.dtype() != DType.I64) {
            throw new IllegalArgumentException(file + " must hold int32 or int64 token ids, got " + ids.dtype());
        }
        if (ids.rank() != 1 || ids.dim(0) != expectedTokens) {
            throw new IllegalArgumentException(file + " must be [" + expectedTokens + "] (one id per input row), got "
                    + java.util.Arrays.toString(ids.shape()));
        }
        if (ids.dtype() == DType.I32) return ids;
        Tensor narrow = Tensor.allocate(arena, DType.I32, expectedTokens);
        for (long t = 0; t < expectedTokens; t++) {
            long v = ids.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, t);
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(file + ": token id " + v + " at position " + t + " does not fit in int32");
            }
            narrow.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, t, (int) v);
        }
        return narrow;
    }
}
