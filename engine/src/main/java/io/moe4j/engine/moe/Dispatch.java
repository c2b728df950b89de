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
        groupByExpert(a, s);
        long d = x.dim(1);
        long rowBytes = 4 * d;
        long xStride = 4 * x.stride(0);
        long outStride = 4 * out.stride(0);
        MemorySegment gathered = s.gathered.all().segment();
        MemorySegment results = s.expertOut.all().segment();
        for (int e = 0; e < experts.length; e++) {
            int n = s.count[e];
            if (n == 0) continue;
            int first = s.offset[e];
            for (int i = 0; i < n; i++) {
                int token = a.token[s.order[first + i]];
                MemorySegment.copy(x.segment(), token * xStride, gathered, i * rowBytes, rowBytes);
            }
            Ffn f = experts[e];
            f.run(backend, s.gathered.rows(n), s.hidden(f.ffnSize).rows(n), s.gate(f.ffnSize).rows(n), s.expertOut.rows(n), n);
            for (int i = 0; i < n; i++) {
                int j = s.order[first + i];
                Elementwise.axpy(a.weight[j], results, i * rowBytes, out.segment(), a.token[j] * outStride, d);
            }
        }
    }

    /** Counting sort of assignment indices by expert, keeping admission order within an expert. */
    private void groupByExpert(Assignments a, LayerScratch s) {
        int e = experts.length;
        java.util.Arrays.fill(s.count, 0);
        for (int i = 0; i < a.count; i++) s.count[a.expert[i]]++;
        s.offset[0] = 0;
        for (int i = 0; i < e; i++) s.offset[i + 1] = s.offset[i] + s.count[i];
        int[] cursor = s.count; // reuse: becomes each expert's fill position, restored below
        for (int i = 0; i < e; i++) cursor[i] = s.offset[i];
        for (int i = 0; i < a.count; i++) s.order[cursor[a.expert[i]]++] = i;
        for (int i = 0; i < e; i++) s.count[i] = s.offset[i + 1] - s.offset[i];
    }
}
