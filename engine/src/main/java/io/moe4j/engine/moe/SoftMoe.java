package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.ValueLayout;

/**
 * Soft MoE (Puigcerver et al. 2023), for encoders: every slot is a mixture of all tokens, every token a mixture
 * of all slot outputs. {@code L = X·Φᵀ [T, E·S]}; dispatch weights = softmax of each column over tokens; slot j
 * (served by expert j / S) gets {@code x̃_j = Σ_t Dw[t, j] x_t}; combine weights = softmax of each row over slots;
 * {@code y_t = Σ_j Cw[t, j] ỹ_j}. Each expert runs once on its S slots.
 */
final class SoftMoe {
    private final Backend backend;
    private final MoeConfig config;
    private final RouterTensors tensors;
    private final Ffn[] experts;

    SoftMoe(Backend backend, MoeConfig config, RouterTensors tensors, Ffn[] experts) {
        this.backend = backend;
        this.config = config;
        this.tensors = tensors;
        this.experts = experts;
    }

    /** Adds the soft-MoE output of the batch to {@code out} (rows already zeroed or holding other terms). */
    void forward(Tensor x, int tokens, Tensor out, LayerScratch s, RoutingStats stats, RoutingTrace trace) {
        int slots = config.slots();
        int width = config.numExperts() * slots;
        long d = x.dim(1);
        Tensor l = Router.logits(backend, x, tokens, tensors.phi(), null, s.logits);
        float[] w = s.batchProb; // [T, E·S], dispatch weights first, combine weights after

        // Dispatch: softmax over tokens, column by column.
        for (int j = 0; j < width; j++) {
            float max = Float.NEGATIVE_INFINITY;
            for (int t = 0; t < tokens; t++) max = Math.max(max, logit(l, t, j));
            double sum = 0;
            for (int t = 0; t < tokens; t++) {
                float v = (float) Math.exp(logit(l, t, j) - max);
                w[t * width + j] = v;
                sum += v;
            }
            float inv = (float) (1 / sum);
            for (int t = 0; t < tokens; t++) w[t * width + j] *= inv;
        }
        Tensor in = s.slotsIn;
        long xStride = 4 * x.stride(0);
        for (int j = 0; j < width; j++) {
            Elementwise.zero(in.segment(), 4 * j * d, d);
            for (int t = 0; t < tokens; t++) {
                Elementwise.axpy(w[t * width + j], x.segment(), t * xStride, in.segment(), 4 * j * d, d);
            }
        }
        for (int e = 0; e < experts.length; e++) {
            Ffn f = experts[e];
            f.run(backend, s.slotIn[e], s.hidden(f.ffnSize).rows(slots), s.gate(f.ffnSize).rows(slots), s.slotOut[e], slots);
            stats.addLoad(e, slots);
        }

        // Combine: softmax over slots, row by row.
        long outStride = 4 * out.stride(0);
        for (int t = 0; t < tokens; t++) {
            Router.readRow(l, t, s.row);
            Gates.softmax(s.row, width, s.prob);
            for (int j = 0; j < width; j++) {
                Elementwise.axpy(s.prob[j], s.slotsOut.segment(), 4 * j * d, out.segment(), t * outStride, d);
                if (trace != null) trace.add(t, j / slots, s.prob[j]);
            }
        }
    }

    private static float logit(Tensor l, int t, int j) {
        return l.segment().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * (t * l.stride(0) + j));
    }
}
