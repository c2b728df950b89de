package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * Checks that a layer's tensors fit its settings, naming each tensor as the layer file does
 * ({@code experts.3.w2.weight}), so a bad checkpoint fails when the layer is built, not in the middle of a call.
 */
final class LayerShapes {
    private LayerShapes() {}

    /** Validates everything and returns D. */
    static long check(MoeConfig c, MoeWeights w) {
        int e = c.numExperts();
        if (w.experts().size() != e) {
            throw new IllegalArgumentException("moe.num_experts = " + e + " but " + w.experts().size() + " experts were given");
        }
        long d = w.experts().getFirst().w1().dim(-1);
        for (int i = 0; i < e; i++) expert("experts." + i, w.experts().get(i), c.activation(), d);
        for (int i = 0; i < w.shared().size(); i++) expert("shared." + i, w.shared().get(i), c.activation(), d);
        if (w.dense() != null) expert("dense", w.dense(), c.activation(), d);
        switch (c.router()) {
            case SOFT -> weight("soft.phi", w.phi(), (long) e * c.slots(), d);
            case HIERARCHICAL -> {
                weight("router.weight", w.router(), c.groups(), d);
                optional("router.bias", w.routerBias(), c.groups());
                if (w.groupRouters().size() != c.groups()) {
                    throw new IllegalArgumentException("hierarchical routing needs " + c.groups()
                            + " groups.{g}.router.weight tensors, got " + w.groupRouters().size());
                }
                for (int g = 0; g < c.groups(); g++) {
                    weight("groups." + g + ".router.weight", w.groupRouters().get(g), c.expertsPerGroup(), d);
                }
            }
            case HASH -> {
                if (w.router() != null) weight("router.weight", w.router(), e, d);
                optional("router.bias", w.routerBias(), e);
                hashTable(w.hashTable(), e);
            }
            default -> {
                weight("router.weight", w.router(), e, d);
                optional("router.bias", w.routerBias(), e);
                if (c.router() == RouterKind.NOISY_TOPK && c.noise()) weight("router.noise.weight", w.noise(), e, d);
            }
        }
        if (w.sharedGate() != null) {
            if (w.shared().isEmpty()) throw new IllegalArgumentException("shared_gate.weight without shared experts");
            weight("shared_gate.weight", w.sharedGate(), 1, d);
        }
        boolean anyCmr = w.cmrWeight() != null || w.cmrBias() != null || w.dense() != null;
        if (anyCmr) {
            weight("cmr.weight", w.cmrWeight(), 1, d);
            optional("cmr.bias", w.cmrBias(), 1);
            if (w.cmrBias() == null) throw new IllegalArgumentException("cmr.bias is missing");
            if (w.dense() == null) throw new IllegalArgumentException("conditional routing (cmr.weight) needs the dense.* FFN");
        }
        return d;
    }

    private static void expert(String name, Expert x, Activation activation, long d) {
        require(name + ".w1.weight", x.w1());
        long f = x.w1().dim(0);
        weight(name + ".w1.weight", x.w1(), f, d);
        weight(name + ".w2.weight", x.w2(), d, f);
        if (activation.isGated()) {
            weight(name + ".w3.weight", x.w3(), f, d);
            if (x.b1() != null || x.b2() != null) throw new IllegalArgumentException(name + ": swiglu experts have no biases");
        } else {
            if (x.w3() != null) throw new IllegalArgumentException(name + ".w3.weight is only used by swiglu experts");
            optional(name + ".w1.bias", x.b1(), f);
            optional(name + ".w2.bias", x.b2(), d);
        }
    }

    private static void weight(String name, Tensor t, long rows, long cols) {
        require(name, t);
        // Block-quantized weights (GGUF) go to the backend's quantized matmul, which reads whole rows of blocks in
        // place, so they must be row-major: no transposed (K-major) views of them.
        if (t.dtype().isBlockQuantized()) {
            if (!t.isContiguous()) throw new IllegalArgumentException(name + " (" + t.dtype() + ") must be contiguous");
        } else {
            floating(name, t);
        }
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new IllegalArgumentException(name + " must have shape [" + rows + ", " + cols + "], got " + Shape.toString(t.shape()));
        }
        boolean transposed = t.stride(0) == 1 && t.stride(1) == t.dim(0); // a view of a contiguous [cols, rows] (DBRX w2)
        if (!t.isContiguous() && !transposed) throw new IllegalArgumentException(name + " must be contiguous");
    }

    private static void optional(String name, Tensor t, long n) {
        if (t == null) return;
        floating(name, t);
        if (t.size() != n || t.rank() != 1) {
            throw new IllegalArgumentException(name + " must have shape [" + n + "], got " + Shape.toString(t.shape()));
        }
    }

    private static void hashTable(Tensor t, int experts) {
        require("hash.table", t);
        t.requireDType(DType.I32, "hash.table");
        if (t.rank() != 1) throw new IllegalArgumentException("hash.table must be [V], got " + Shape.toString(t.shape()));
        for (long i = 0; i < t.dim(0); i++) {
            int v = t.segment().getAtIndex(ValueLayout.JAVA_INT_UNALIGNED, i);
            if (v < 0 || v >= experts) {
                throw new IllegalArgumentException("hash.table[" + i + "] = " + v + " is not an expert index in [0, " + experts + ")");
            }
        }
    }

    private static void floating(String name, Tensor t) {
        if (!List.of(DType.F32, DType.F16, DType.BF16).contains(t.dtype())) {
            throw new IllegalArgumentException(name + " must be F32, F16 or BF16, got " + t.dtype());
        }
    }

    private static void require(String name, Tensor t) {
        if (t == null) throw new IllegalArgumentException(name + " is missing");
    }
}
