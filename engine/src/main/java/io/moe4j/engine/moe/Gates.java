package io.moe4j.engine.moe;

/**
 * The float32 arithmetic routers share, on one row of scores: softmax, top-k with ties to the lower index, the
 * top-k weight normalisation, and the per-token terms of the routing losses.
 */
final class Gates {
    private Gates() {}

    /** {@code p = softmax(h[0, n))} (p may be h), float32 with a float64 sum; returns logsumexp(h). */
    static float softmax(float[] h, int n, float[] p) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, h[i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(h[i] - max);
            p[i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) p[i] *= inv;
        return max + (float) Math.log(sum);
    }

    /**
     * The indices of the k largest of {@code scores[0, n)} into {@code top[0, k)}, descending, ties to the lower
     * index. NaN ranks below every number. {@code taken} is scratch of length ≥ n.
     */
    static void topK(float[] scores, int n, int k, int[] top, boolean[] taken) {
        java.util.Arrays.fill(taken, 0, n, false);
        for (int r = 0; r < k; r++) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (taken[i]) continue;
                if (best < 0 || scores[i] > scores[best] || (Float.isNaN(scores[best]) && !Float.isNaN(scores[i]))) best = i;
            }
            taken[best] = true;
            top[r] = best;
        }
    }

    /** Writes {@code g[r] = p[top[r]] / ‖p_S‖_q} for r < k. */
    static void normalize(Normalize how, float[] p, int[] top, int k, float[] g) {
        double norm = 1;
        if (how == Normalize.L1) {
            norm = 0;
            for (int r = 0; r < k; r++) norm += p[top[r]];
        } else if (how == Normalize.L2) {
            norm = 0;
            for (int r = 0; r < k; r++) norm += (double) p[top[r]] * p[top[r]];
            norm = Math.sqrt(norm);
        }
        for (int r = 0; r < k; r++) g[r] = (float) (p[top[r]] / norm);
    }

    /** {@code −Σ p log p} in nats (0·log 0 = 0). */
    static double entropy(float[] p, int n) {
        double h = 0;
        for (int i = 0; i < n; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
        return h;
    }

    /** {@code log(1 + exp(z))} without overflow. */
    static float softplus(float z) {
        return z > 20 ? z : (float) Math.log1p(Math.exp(z));
    }
}
