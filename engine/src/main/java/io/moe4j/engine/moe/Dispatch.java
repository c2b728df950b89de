package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Grouped expert dispatch, as real engines do it: group the assignments by expert (a stable counting sort),
 * gather each expert's rows into one contiguous block, run the expert's GEMMs once with M = its row count,
 * and scatter-add the weighted outputs back to their tokens.
 *
 * <p>Experts run in index order and each adds into its tokens' rows as it finishes, so every token's sum has
 * a fixed order (ascending expert index) whatever the thread count: outputs are bit-reproducible.
 */
final class Dispatch {
    private final Backend backend;
    private final Ffn[] experts;

    Dispatch(Backend backend, Ffn[] experts) {
        this.backend = backend;
        this.experts = experts;
    }

    /** Adds {@code Σ g · f_e(x_t)} over the assignments to the rows of {@code out}. */
    void run(Tensor x, Assignments a, Tensor out, LayerScratch s) {
        groupByExpert(a, experts.length, s.count, s.offset, s.order);
        MemorySegment gathered = s.gathered.all().segment();
        MemorySegment results = s.expertOut.all().segment();
        for (int e = 0; e < experts.length; e++) {
            int n = s.count[e];
            if (n == 0) continue;
            int first = s.offset[e];
            gather(x, a, s.order, first, n, gathered);
            Ffn f = experts[e];
            f.run(backend, s.gathered.rows(n), s.hidden(f.ffnSize).rows(n), s.gate(f.ffnSize).rows(n), s.expertOut.rows(n), n);
            scatterAdd(results, a, s.order, first, n, out);
        }
    }

    /**
     * Copies the input rows of the assignments {@code order[first, first + n)} (one expert's group) into rows
     * {@code [0, n)} of {@code block}, a dense {@code [n, D]} F32 buffer, so the expert runs one GEMM with M = n.
     * Static and package-private so the JMH module can measure it alone.
     */
    static void gather(Tensor x, Assignments a, int[] order, int first, int n, MemorySegment block) {
        long rowBytes = 4 * x.dim(1);
        long xStride = 4 * x.stride(0);
        for (int i = 0; i < n; i++) {
            int token = a.token[order[first + i]];
            MemorySegment.copy(x.segment(), token * xStride, block, i * rowBytes, rowBytes);
        }
    }

    /**
     * The inverse of {@link #gather}: adds {@code g · block[i]} to the {@code out} row of the token of assignment
     * {@code order[first + i]}, for i &lt; n, in that order (which keeps every token's sum in a fixed order).
     */
    static void scatterAdd(MemorySegment block, Assignments a, int[] order, int first, int n, Tensor out) {
        long d = out.dim(1);
        long rowBytes = 4 * d;
        long outStride = 4 * out.stride(0);
        for (int i = 0; i < n; i++) {
            int j = order[first + i];
            Elementwise.axpy(a.weight[j], block, i * rowBytes, out.segment(), a.token[j] * outStride, d);
        }
    }

    /**
     * Counting sort of assignment indices by expert into {@code order}, keeping admission order within an expert:
     * expert e's group is {@code order[offset[e], offset[e] + count[e])}.
     */
    static void groupByExpert(Assignments a, int experts, int[] count, int[] offset, int[] order) {
        java.util.Arrays.fill(count, 0, experts, 0);
        for (int i = 0; i < a.count; i++) count[a.expert[i]]++;
        offset[0] = 0;
        for (int i = 0; i < experts; i++) offset[i + 1] = offset[i] + count[i];
        int[] cursor = count; // reuse: becomes each expert's fill position, restored below
        for (int i = 0; i < experts; i++) cursor[i] = offset[i];
        for (int i = 0; i < a.count; i++) order[cursor[a.expert[i]]++] = i;
        for (int i = 0; i < experts; i++) count[i] = offset[i + 1] - offset[i];
    }
}
