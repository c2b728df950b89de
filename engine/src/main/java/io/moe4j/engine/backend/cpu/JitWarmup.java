package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.backend.cpu.kernels.Rope;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

/**
 * Brings the backend's small per-token ops to C2 before a model decodes its first token.
 *
 * <p>Why: until C2 has compiled a Vector API kernel, the interpreter and C1 run it with every vector boxed on the
 * Java heap, and the ops' small operand records ({@link Rows}) are only scalar-replaced once C2 compiles the op.
 * The GEMVs loop long enough to be compiled within the first tokens, but the ops called a few times per token on
 * one row (norms, residual adds, activations, the router's softmax and top-k, RoPE, the attention dot products)
 * reach C2's invocation threshold (5000 calls) only after hundreds of tokens:
 * measured on the benchmark model, decode allocated 146 KB per token until about token 300 and 3 KB per token
 * (the operand records of rmsNorm, add and siluMul) well past token 400. Running them here {@link #CALLS} times
 * on short rows, out of place on constant inputs, costs a fraction of a second once and makes decode
 * allocation-free from its first tokens. The inputs are native segments like the activations these ops see in a
 * model; kernels that also read mapped weights (the 16-bit conversions) are left out on purpose, as a profile that
 * saw only native segments would be deoptimised, and box again, on the first mapped one.
 */
public final class JitWarmup {
    /** Calls per op: past C2's invocation threshold for methods without long loops (Tier4InvocationThreshold). */
    static final int CALLS = 6_000;
    /** Row length: long enough that every kernel's vector loop runs (and is profiled as a loop). */
    static final int WIDTH = 512;

    private JitWarmup() {}

    /** Runs each per-token op of {@code backend} {@link #CALLS} times; {@code headDim} is the attention head size. */
    public static void run(CpuBackend backend, int headDim) {
        if (headDim < 2 || headDim % 2 != 0 || headDim > WIDTH) {
            throw new IllegalArgumentException("attention heads of " + headDim + " (an even size up to " + WIDTH + ")");
        }
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = ramp(arena, 0.25f);
            Tensor b = ramp(arena, -0.5f);
            Tensor weight = ramp(arena, 1f).reshape(WIDTH);
            Tensor out = Tensor.allocate(arena, DType.F32, 1, WIDTH);
            Tensor indices = Tensor.allocate(arena, DType.I32, 1, 2);
            Tensor values = Tensor.allocate(arena, DType.F32, 1, 2);
            Tensor experts = a.slice(1, 0, 8);
            Tensor probabilities = out.slice(1, 0, 8);
            float sink = 0;
            for (int call = 0; call < CALLS; call++) {
                backend.rmsNorm(a, weight, 1e-5f, out);
                backend.layerNorm(a, weight, 1e-5f, out);
                backend.add(a, b, out);
                backend.scale(a, 0.5f, out);
                backend.siluMul(a, b, out);
                backend.silu(a, out);
                backend.gelu(a, out);
                backend.relu(a, out);
                backend.softmax(experts, probabilities);
                backend.topK(experts, 2, indices, values);
                Rope.apply(a.segment(), 0, out.segment(), 0, WIDTH / headDim, headDim, call & 1023, 10_000.0);
                sink += Elementwise.dot(a.segment(), 0, b.segment(), 0, headDim);
                Elementwise.zero(out.segment(), 0, headDim);
                Elementwise.axpy(0.5f, a.segment(), 0, out.segment(), 0, headDim);
            }
            if (Float.isNaN(sink)) throw new AssertionError("the warm-up's constant inputs gave NaN");
        }
    }

    private static Tensor ramp(Arena arena, float scale) {
        Tensor t = Tensor.allocate(arena, DType.F32, 1, WIDTH);
        for (int i = 0; i < WIDTH; i++) t.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, scale * (float) Math.sin(i * 0.1));
        return t;
    }
}
