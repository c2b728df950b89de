package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.backend.cpu.kernels.Activations;
import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.backend.cpu.kernels.Norms;
import io.moe4j.engine.backend.cpu.kernels.Rope;
import io.moe4j.engine.backend.cpu.kernels.Softmax;
import io.moe4j.engine.backend.cpu.kernels.TopK;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

/**
 * The CPU backend's element-wise and row-wise ops: operand checks, then the Vector API kernels row by row.
 * They run on the calling thread: at the sizes of one layer they cost microseconds, less than a hand-off.
 */
final class Ops {

    void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        int n = Rows.requireSame(x, "rmsNorm x", out, "rmsNorm out");
        requireVector(weight, n, "rmsNorm weight");
        Norms.rmsNorm(x.segment(), 0, Rows.strideBytes(x), weight.segment(), 0, out.segment(), 0, Rows.strideBytes(out),
                (int) Rows.count(x), n, eps);
    }

    void layerNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        int n = Rows.requireSame(x, "layerNorm x", out, "layerNorm out");
        requireVector(weight, n, "layerNorm weight");
        Norms.layerNorm(x.segment(), 0, Rows.strideBytes(x), weight.segment(), 0, null, 0, out.segment(), 0,
                Rows.strideBytes(out), (int) Rows.count(x), n, eps);
    }

    void silu(Tensor x, Tensor out) {
        int n = Rows.requireSame(x, "silu x", out, "silu out");
        long xs = Rows.strideBytes(x), os = Rows.strideBytes(out);
        for (long i = 0, rows = Rows.count(x); i < rows; i++) {
            Activations.silu(x.segment(), i * xs, out.segment(), i * os, n);
        }
    }

    void siluMul(Tensor gate, Tensor up, Tensor out) {
        int n = Rows.requireSame(gate, "siluMul gate", up, "siluMul up");
        Rows.requireSame(out, "siluMul out", gate, "siluMul gate");
        long gs = Rows.strideBytes(gate), us = Rows.strideBytes(up), os = Rows.strideBytes(out);
        for (long i = 0, rows = Rows.count(gate); i < rows; i++) {
            Activations.siluMul(gate.segment(), i * gs, up.segment(), i * us, out.segment(), i * os, n);
        }
    }

    void gelu(Tensor x, Tensor out) {
        int n = Rows.requireSame(x, "gelu x", out, "gelu out");
        long xs = Rows.strideBytes(x), os = Rows.strideBytes(out);
        for (long i = 0, rows = Rows.count(x); i < rows; i++) {
            Activations.gelu(x.segment(), i * xs, out.segment(), i * os, n);
        }
    }

    void relu(Tensor x, Tensor out) {
        int n = Rows.requireSame(x, "relu x", out, "relu out");
        long xs = Rows.strideBytes(x), os = Rows.strideBytes(out);
        for (long i = 0, rows = Rows.count(x); i < rows; i++) {
            Activations.relu(x.segment(), i * xs, out.segment(), i * os, n);
        }
    }

    void softmax(Tensor x, Tensor out) {
        int n = Rows.requireSame(x, "softmax x", out, "softmax out");
        if (n == 0) return;
        Softmax.softmax(x.segment(), 0, Rows.strideBytes(x), out.segment(), 0, Rows.strideBytes(out), (int) Rows.count(x), n);
    }

    void topK(Tensor scores, int k, Tensor indices, Tensor values) {
        int n = Rows.length(scores, "topK scores");
        long rows = Rows.count(scores), stride = Rows.strideBytes(scores);
        if (k < 1 || k > n) throw new IllegalArgumentException("topK k=" + k + " for rows of " + n);
        indices.requireDType(DType.I32, "topK indices").requireContiguous("topK indices");
        values.requireDType(DType.F32, "topK values").requireContiguous("topK values");
        if (indices.size() != rows * k || values.size() != rows * k) {
            throw new IllegalArgumentException("topK outputs must hold " + rows + " × " + k + " elements, got "
                    + indices + " and " + values);
        }
        for (long i = 0; i < rows; i++) {
            TopK.topK(scores.segment(), i * stride, n, k, indices.segment(), i * k * 4L,
                    values.segment(), i * k * 4L);
        }
    }

    void rope(Tensor x, Tensor positions, float theta) {
        if (x.rank() != 3) throw new IllegalArgumentException("rope x must be [T, heads, headDim], got " + x);
        x.requireDType(DType.F32, "rope x").requireContiguous("rope x");
        positions.requireDType(DType.I32, "rope positions");
        if (positions.rank() != 1 || positions.dim(0) != x.dim(0) || !positions.isContiguous()) {
            throw new IllegalArgumentException("rope positions must be I32 [" + x.dim(0) + "], got " + positions);
        }
        if (!(theta > 0)) throw new IllegalArgumentException("rope theta must be positive, got " + theta);
        int heads = (int) x.dim(1);
        int headDim = (int) x.dim(2);
        if (headDim % 2 != 0) throw new IllegalArgumentException("rope head dim must be even, got " + headDim);
        long tokenBytes = 4L * heads * headDim;
        for (long t = 0; t < x.dim(0); t++) {
            int position = positions.segment().getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, t);
            if (position < 0) throw new IllegalArgumentException("rope position " + position + " of token " + t);
            Rope.apply(x.segment(), t * tokenBytes, x.segment(), t * tokenBytes, heads, headDim, position, theta);
        }
    }

    void add(Tensor a, Tensor b, Tensor out) {
        int n = Rows.requireSame(a, "add a", b, "add b");
        Rows.requireSame(out, "add out", a, "add a");
        long as = Rows.strideBytes(a), bs = Rows.strideBytes(b), os = Rows.strideBytes(out);
        for (long i = 0, rows = Rows.count(a); i < rows; i++) {
            Elementwise.add(a.segment(), i * as, b.segment(), i * bs, out.segment(), i * os, n);
        }
    }

    void scale(Tensor x, float s, Tensor out) {
        int n = Rows.requireSame(x, "scale x", out, "scale out");
        long xs = Rows.strideBytes(x), os = Rows.strideBytes(out);
        for (long i = 0, rows = Rows.count(x); i < rows; i++) {
            Elementwise.scale(x.segment(), i * xs, s, out.segment(), i * os, n);
        }
    }

    /** An F32 {@code [n]} tensor (checked without the varargs of requireShape, which would allocate per call). */
    private static void requireVector(Tensor t, long n, String what) {
        t.requireDType(DType.F32, what);
        if (t.rank() != 1 || t.dim(0) != n) throw new IllegalArgumentException(what + " must have shape [" + n + "], got " + t);
    }
}
