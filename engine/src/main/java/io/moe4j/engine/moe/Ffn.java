package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.tensor.Tensor;

/**
 * One expert made ready to run: its weights as given (any of F32/F16/BF16, read in place by the backend) and its
 * biases as float32 copies. {@link #run} computes {@code out[0, n) = f(in[0, n))} for n rows at once — the
 * grouped GEMMs of dispatch: M = the expert's token count.
 */
final class Ffn {
    final Tensor w1;
    final Tensor w3;
    final Tensor w2;
    final Tensor b1;
    final Tensor b2;
    final Activation activation;
    final int ffnSize;

    Ffn(Expert expert, Activation activation, java.lang.foreign.Arena arena) {
        this.w1 = expert.w1();
        this.w3 = expert.w3();
        this.w2 = expert.w2();
        this.b1 = expert.b1() == null ? null : RouterTensors.toF32(arena, expert.b1());
        this.b2 = expert.b2() == null ? null : RouterTensors.toF32(arena, expert.b2());
        this.activation = activation;
        this.ffnSize = (int) w1.dim(0);
    }

    /** {@code out = f(in)} for the first n rows; {@code hidden} and {@code gate} are {@code [n, F]} scratch. */
    void run(Backend backend, Tensor in, Tensor hidden, Tensor gate, Tensor out, int n) {
        backend.matmul(in, w1, hidden);
        if (activation == Activation.SWIGLU) {
            backend.matmul(in, w3, gate);
            backend.siluMul(hidden, gate, hidden);
        } else {
            if (b1 != null) addToRows(hidden, b1, n);
            switch (activation) {
                case RELU -> backend.relu(hidden, hidden);
                case GELU -> backend.gelu(hidden, hidden);
                case SILU -> backend.silu(hidden, hidden);
                default -> throw new IllegalStateException(activation.key());
            }
        }
        backend.matmul(hidden, w2, out);
        if (b2 != null) addToRows(out, b2, n);
    }

    private static void addToRows(Tensor rows, Tensor bias, int n) {
        long width = rows.dim(1);
        long stride = 4 * rows.stride(0);
        for (int r = 0; r < n; r++) {
            Elementwise.add(rows.segment(), r * stride, bias.segment(), 0, rows.segment(), r * stride, width);
        }
    }
}
