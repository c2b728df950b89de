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
        Rows r = Rows.of(x, "rmsNorm x").requireSame(Rows.of(out, "rmsNorm out"), x, out);
        Rows o = Rows.of(out, "rmsNorm out");
        requireVector(weight, r.n(), "rmsNorm weight");
        Norms.rmsNorm(x.segment(), 0, r.strideBytes(), weight.segment(), 0, out.segment(), 0, o.strideBytes(),
                (int) r.rows(), r.n(), eps);
    }

    void layerNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        Rows r = Rows.of(x, "layerNorm x").requireSame(Rows.of(out, "layerNorm out"), x, out);
        Rows o = Rows.of(out, "layerNorm out");
        requireVector(weight, r.n(), "layerNorm weight");
        Norms.layerNorm(x.segment(), 0, r.strideBytes(), weight.segment(), 0, null, 0, out.segment(), 0,
                o.strideBytes(), (int) r.rows(), r.n(), eps);
    }

    void silu(Tensor x, Tensor out) {
        Rows r = Rows.of(x, "silu x").requireSame(Rows.of(out, "silu out"), x, out);
        Rows o = Rows.of(out, "silu out");
        for (long i = 0; i < r.rows(); i++) {
            Activations.silu(x.segment(), i * r.strideBytes(), out.segment(), i * o.strideBytes(), r.n());
        }
    }

    void siluMul(Tensor gate, Tensor up, Tensor out) {
        Rows r = Rows.of(gate, "siluMul gate").requireSame(Rows.of(up, "siluMul up"), gate, up);
        Rows u = Rows.of(up, "siluMul up");
        Rows o = Rows.of(out, "siluMul out").requireSame(r, out, gate);
        for (long i = 0; i < r.rows(); i++) {
            Activations.siluMul(gate.segment(), i * r.strideBytes(), up.segment(), i * u.strideBytes(),
                    out.segment(), i * o.strideBytes(), r.n());
        }
    }

    void gelu(Tensor x, Tensor out) {
        Rows r = Rows.of(x, "gelu x").requireSame(Rows.of(out, "gelu out"), x, out);
        Rows o = Rows.of(out, "gelu out");
        for (long i = 0; i < r.rows(); i++) {
            Activations.gelu(x.segment(), i * r.strideBytes(), out.segment(), i * o.strideBytes(), r.n());
        }
    }

    void relu(Tensor x, Tensor out) {
        Rows r = Rows.of(x, "relu x").requireSame(Rows.of(out, "relu out"), x, out);
        Rows o = Rows.of(out, "relu out");
        for (long i = 0; i < r.rows(); i++) {
            Activations.relu(x.segment(), i * r.strideBytes(), out.segment(), i * o.strideBytes(), r.n());
        }
    }

    void softmax(Tensor x, Tensor out) {
        Rows r = Rows.of(x, "softmax x").requireSame(Rows.of(out, "softmax out"), x, out);
        Rows o = Rows.of(out, "softmax out");
        if (r.n() == 0) return;
        Softmax.softmax(x.segment(), 0, r.strideBytes(), out.segment(), 0, o.strideBytes(), (int) r.rows(), r.n());
    }

    void topK(Tensor scores, int k, Tensor indices, Tensor values) {
        Rows r = Rows.of(scores, "topK scores");
        if (k < 1 || k > r.n()) throw new IllegalArgumentException("topK k=" + k + " for rows of " + r.n());
        indices.requireDType(DType.I32, "topK indices").requireContiguous("topK indices");
        values.requireDType(DType.F32, "topK values").requireContiguous("topK values");
        if (indices.size() != r.rows() * k || values.size() != r.rows() * k) {
            throw new IllegalArgumentException("topK outputs must hold " + r.rows() + " × " + k + " elements, got "
                    + indices + " and " + values);
        }
        for (long i = 0; i < r.rows(); i++) {
            TopK.topK(scores.segment(), i * r.strideBytes(), r.n(), k, indices.segment(), i * k * 4L,
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
        Rows r = Rows.of(a, "add a").requireSame(Rows.of(b, "add b"), a, b);
        Rows rb = Rows.of(b, "add b");
        Rows o = Rows.of(out, "add out").requireSame(r, out, a);
        for (long i = 0; i < r.rows(); i++) {
            Elementwise.add(a.segment(), i * r.strideBytes(), b.segment(), i * rb.strideBytes(),
                    out.segment(), i * o.strideBytes(), r.n());
        }
    }

    void scale(Tensor x, float s, Tensor out) {
        Rows r = Rows.of(x, "scale x").requireSame(Rows.of(out, "scale out"), x, out);
        Rows o = Rows.of(out, "scale out");
        for (long i = 0; i < r.rows(); i++) {
            Elementwise.scale(x.segment(), i * r.strideBytes(), s, out.segment(), i * o.strideBytes(), r.n());
        }
    }

    /** An F32 {@code [n]} tensor (checked without the varargs of requireShape, which would allocate per call). */
    private static void requireVector(Tensor t, long n, String what) {
        t.requireDType(DType.F32, what);
        if (t.rank() != 1 || t.dim(0) != n) throw new IllegalArgumentException(what + " must have shape [" + n + "], got " + t);
    }
}
