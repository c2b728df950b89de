package io.moe4j.engine.nn;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * The keys and values of one sequence, off-heap: per layer {@code [context, kvHeads, headDim]} float32, sized
 * once for the context length the caller chose. Owns its memory; {@link #close()} frees it.
 */
public final class KvCache implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int context;
    private int length;

    public KvCache(int layers, int context, int kvHeads, int headDim) {
        if (context < 1) throw new IllegalArgumentException("context length must be at least 1, got " + context);
        this.context = context;
        this.keys = new Tensor[layers];
        this.values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.allocate(arena, DType.F32, context, kvHeads, headDim);
            values[l] = Tensor.allocate(arena, DType.F32, context, kvHeads, headDim);
        }
    }

    /** Bytes a cache of these dims takes. */
    public static long bytes(int layers, int context, int kvHeads, int headDim) {
        return 2L * layers * context * kvHeads * headDim * 4;
    }

    public Tensor keys(int layer) { return keys[layer]; }

    public Tensor values(int layer) { return values[layer]; }

    /** Maximum number of positions. */
    public int context() { return context; }

    /** Positions filled so far (the next token goes to this position). */
    public int length() { return length; }

    /** Marks {@code tokens} more positions as filled (after every layer has written them). */
    public void advance(int tokens) {
        if (length + tokens > context) {
            throw new IllegalStateException("the KV cache holds " + context + " positions; " + (length + tokens) + " needed");
        }
        length += tokens;
    }

    /** Forgets everything (a new conversation on the same cache). */
    public void clear() { length = 0; }

    @Override
    public void close() { arena.close(); }
}
