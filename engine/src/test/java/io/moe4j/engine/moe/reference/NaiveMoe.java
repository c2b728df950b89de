package io.moe4j.engine.moe.reference;

import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.CounterRng;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.engine.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deliberately naive implementation of the MoE contract ({@code shared/docs/moe-semantics.md}) in double
 * precision on plain Java arrays: one token at a time, one expert at a time, no grouping, nothing shared with
 * the engine's dispatch except {@link CounterRng} (the layer's random numbers are part of the contract).
 *
 * <p>The weights are read out of the tensors once ({@code getFloat}, so F16/BF16 weights contribute exactly the
 * values they store). Besides y and the statistics, every forward call records its <em>selection margins</em>:
 * how close each discrete decision (top-k membership and order, group choice, expert choice's token cut, GShard's
 * u against its threshold) came to going the other way. The engine routes in float32, so a decision whose
 * margin is below {@link #TIE_GAP} may legitimately come out differently there; comparisons use the margins to
 * tell such near-ties apart from real failures.
 *
 * <p>Where the contract leaves room, this reference takes the literal reading (each noted at its place):
 * noisy_topk's statistics use the clean logits h; a GShard second choice rejected by u is neither served nor
 * counted as dropped; hierarchical ranks for capacity are group-major (the i-th group's j-th expert is rank
 * i·k + j); shared experts are added before NLLB's conditional mix (y = (1−g)·dense + g·(MoE + shared)).
 */
public final class NaiveMoe {
    /** Decisions closer than this (in logit, log-probability or u units) count as near-ties. */
    public static final double TIE_GAP = 1e-5;

    private final MoeConfig cfg;
    private final int numExperts;
    private final int d;
    private final double[][] router;       // [E, D] or [G, D]; null when absent
    private final double[] routerBias;
    private final double[][] noise;
    private final double[][][] groupRouters;
    private final double[][] phi;
    private final int[] hashTable;
    private final Ffn[] experts;
    private final Ffn[] shared;
    private final double[] sharedGate;
    private final double[] cmrWeight;
    private final double cmrBias;
    private final Ffn dense;
    private long call;
    private boolean noisyStatsOnNoisyLogits;

    public NaiveMoe(MoeConfig config, MoeWeights w) {
        this.cfg = config;
        this.numExperts = config.numExperts();
        this.d = (int) w.modelSize();
        this.router = matrix(w.router());
        this.routerBias = vector(w.routerBias());
        this.noise = matrix(w.noise());
        this.groupRouters = new double[w.groupRouters().size()][][];
        for (int g = 0; g < groupRouters.length; g++) groupRouters[g] = matrix(w.groupRouters().get(g));
        this.phi = matrix(w.phi());
        if (w.hashTable() != null) {
            float[] t = w.hashTable().toFloatArray();
            hashTable = new int[t.length];
            for (int i = 0; i < t.length; i++) hashTable[i] = (int) t[i];
        } else {
            hashTable = null;
        }
        this.experts = w.experts().stream().map(e -> new Ffn(e, config.activation())).toArray(Ffn[]::new);
        this.shared = w.shared().stream().map(e -> new Ffn(e, config.activation())).toArray(Ffn[]::new);
        double[][] sg = matrix(w.sharedGate());
        this.sharedGate = sg == null ? null : sg[0];
        double[][] cw = matrix(w.cmrWeight());
        this.cmrWeight = cw == null ? null : cw[0];
        this.cmrBias = w.cmrBias() == null ? 0 : w.cmrBias().toFloatArray()[0];
        this.dense = w.dense() == null ? null : new Ffn(w.dense(), config.activation());
        if (experts.length != numExperts) throw new IllegalArgumentException(experts.length + " experts for E = " + numExperts);
    }

    public MoeConfig config() { return cfg; }

    /**
     * The other reading of noisy_topk's statistics: z_loss, entropy and P_e on the noisy logits H rather than
     * on the router logits h (the contract's literal wording, this class's default). For diagnosis only.
     */
    public NaiveMoe statsOnNoisyLogits(boolean on) {
        noisyStatsOnNoisyLogits = on;
        return this;
    }

    public int modelSize() { return d; }

    /** Forward calls made so far (the next call's index for the random generator). */
    public long calls() { return call; }

    /** The outcome of one forward call. */
    public static final class Result {
        public final double[][] y;
        public final long[] load;
        public long dropped;
        public boolean hasLosses;
        public double aux = Double.NaN, z = Double.NaN, entropy = Double.NaN;
        /** Per token: the smallest margin of a decision about that token's own routing (+∞ when none). */
        public final double[] tokenGap;
        /** Whether one token's routing can change another token's output (capacity, batch-level routers). */
        public boolean coupled;
        /** Descriptions of near-ties (margin below {@link #TIE_GAP}). */
        public final List<String> ties = new ArrayList<>();
        /** Per token, the experts that served it (after capacity), in rank order; for tests that look inside. */
        public final List<List<Integer>> served = new ArrayList<>();
        /** Per token, the gate weights matching {@link #served}. */
        public final List<List<Double>> weights = new ArrayList<>();

        Result(int t, int dim, int e) {
            y = new double[t][dim];
            load = new long[e];
            tokenGap = new double[t];
            Arrays.fill(tokenGap, Double.POSITIVE_INFINITY);
            for (int i = 0; i < t; i++) {
                served.add(new ArrayList<>());
                weights.add(new ArrayList<>());
            }
        }

        /** The smallest margin of any decision in the call. */
        public double minGap() {
            double m = Double.POSITIVE_INFINITY;
            for (double g : tokenGap) m = Math.min(m, g);
            return m;
        }

        /** Whether a difference at token t may be a near-tie rather than an error. */
        public boolean nearTieAffects(int t) {
            return coupled ? minGap() < TIE_GAP : tokenGap[t] < TIE_GAP;
        }

        void gap(int t, double g, String what) {
            if (g < tokenGap[t]) tokenGap[t] = g;
            if (g < TIE_GAP) ties.add("token " + t + ": " + what + " margin " + g);
        }
    }

    /** One forward call over x [T][D] (tokenIds required by hash). */
    public Result forward(float[][] x, int[] tokenIds) {
        double[][] xs = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            if (x[t].length != d) throw new IllegalArgumentException("x row " + t + " has " + x[t].length + " values, D = " + d);
            xs[t] = new double[d];
            for (int i = 0; i < d; i++) xs[t][i] = x[t][i];
        }
        return forward(xs, tokenIds);
    }

    public Result forward(double[][] x, int[] tokenIds) {
        long c = call++;
        int tokens = x.length;
        Result r = new Result(tokens, d, numExperts);
        switch (cfg.router()) {
            case EXPERT_CHOICE -> expertChoice(x, r);
            case SOFT -> soft(x, r);
            default -> tokenChoice(x, tokenIds, c, r);
        }
        // Around the routed experts.
        for (int t = 0; t < tokens; t++) {
            if (shared.length > 0) {
                double[] s = new double[d];
                for (Ffn f : shared) addScaled(s, f.apply(x[t]), 1);
                double scale = sharedGate == null ? 1 : sigmoid(dot(sharedGate, x[t]));
                addScaled(r.y[t], s, scale);
            }
            if (cmrWeight != null) {
                double g = sigmoid(dot(cmrWeight, x[t]) + cmrBias);
                double[] fd = dense.apply(x[t]);
                for (int i = 0; i < d; i++) r.y[t][i] = (1 - g) * fd[i] + g * r.y[t][i];
            }
        }
        return r;
    }

    // ---------------------------------------------------------------- token choice

    private record Choice(int expert, double weight) { }

    private void tokenChoice(double[][] x, int[] tokenIds, long c, Result r) {
        int tokens = x.length;
        RouterKind kind = cfg.router();
        if (kind == RouterKind.HASH && tokenIds == null) throw new IllegalArgumentException("hash needs token ids");
        List<List<Choice>> choices = new ArrayList<>();
        int[] first = new int[tokens];
        double[][] probs = new double[tokens][];     // P_e per token (null row when no logits)
        double[][] lossLogits = new double[tokens][]; // logits for z_loss and entropy
        for (int t = 0; t < tokens; t++) {
            List<Choice> cs = new ArrayList<>();
            double[] xt = x[t];
            switch (kind) {
                case HASH -> {
                    int id = tokenIds[t];
                    if (id < 0 || id >= hashTable.length) throw new IllegalArgumentException("token id " + id + " outside hash.table");
                    cs.add(new Choice(hashTable[id], 1.0));
                    if (router != null) {
                        double[] h = logits(router, routerBias, xt);
                        lossLogits[t] = h;
                        probs[t] = softmax(h);
                    }
                }
                case HIERARCHICAL -> hierarchical(xt, t, cs, probs, lossLogits, r);
                default -> {
                    double[] h = logits(router, routerBias, xt);
                    double[] scores = h;
                    if (kind == RouterKind.NOISY_TOPK && cfg.noise()) {
                        scores = new double[numExperts];
                        for (int e = 0; e < numExperts; e++) {
                            double eps = CounterRng.normal(cfg.seed(), c, t, e, CounterRng.NOISE);
                            scores[e] = h[e] + eps * softplus(dot(noise[e], xt));
                        }
                    }
                    // Statistics on the clean logits h (the contract's "router logits"), also for noisy_topk.
                    lossLogits[t] = noisyStatsOnNoisyLogits ? scores : h;
                    probs[t] = softmax(lossLogits[t]);
                    double[] p = softmax(scores);
                    int k = cfg.topK();
                    int[] order = argsortDesc(scores);
                    topGaps(scores, order, k, t, r, "expert");
                    Normalize norm = (kind == RouterKind.SWITCH || kind == RouterKind.DENSE) ? Normalize.NONE : cfg.normalize();
                    double[] sel = new double[k];
                    for (int j = 0; j < k; j++) sel[j] = p[order[j]];
                    double n = norm(sel, norm);
                    for (int j = 0; j < k; j++) cs.add(new Choice(order[j], sel[j] / n));
                    if (kind == RouterKind.SWITCH && k == 2 && cfg.secondExpert() == SecondExpert.RANDOM) {
                        double g1 = cs.get(0).weight(), g2 = cs.get(1).weight();
                        double u = CounterRng.uniform(cfg.seed(), c, t, 0, CounterRng.SECOND_EXPERT);
                        double threshold = 2 * g2 / (g1 + g2);
                        r.gap(t, Math.abs(u - threshold), "GShard u vs 2·g2/(g1+g2)");
                        if (!(u < threshold)) cs.remove(1); // rejected: not served, not a capacity drop
                    }
                }
            }
            first[t] = cs.get(0).expert();
            choices.add(cs);
        }

        // Capacity, rank by rank in token order.
        long capacity = Long.MAX_VALUE;
        if (cfg.hasCapacity()) {
            capacity = (long) Math.ceil(cfg.capacityFactor() * cfg.choicesPerToken() * tokens / numExperts);
            r.coupled = true;
        }
        int maxRank = 0;
        for (List<Choice> cs : choices) maxRank = Math.max(maxRank, cs.size());
        for (int rank = 0; rank < maxRank; rank++) {
            for (int t = 0; t < tokens; t++) {
                List<Choice> cs = choices.get(t);
                if (rank >= cs.size()) continue;
                Choice ch = cs.get(rank);
                if (r.load[ch.expert()] < capacity) {
                    r.load[ch.expert()]++;
                    addScaled(r.y[t], experts[ch.expert()].apply(x[t]), ch.weight());
                    r.served.get(t).add(ch.expert());
                    r.weights.get(t).add(ch.weight());
                } else {
                    r.dropped++;
                }
            }
        }

        // Statistics.
        if (lossLogits[0] != null) {
            double[] f = new double[numExperts];
            for (int t = 0; t < tokens; t++) f[first[t]] += 1.0 / tokens;
            losses(r, f, probs, lossLogits);
        }
    }

    private void hierarchical(double[] xt, int t, List<Choice> cs, double[][] probs, double[][] lossLogits, Result r) {
        int groups = cfg.groups(), per = cfg.expertsPerGroup(), k = cfg.topK(), gk = cfg.groupTopK();
        double[] a = logits(router, routerBias, xt);
        double[] pi = softmax(a);
        lossLogits[t] = a;
        double[][] rho = new double[groups][];
        double[][] groupLogits = new double[groups][];
        double[] tree = new double[numExperts];
        for (int g = 0; g < groups; g++) {
            groupLogits[g] = logits(groupRouters[g], null, xt);
            rho[g] = softmax(groupLogits[g]);
            for (int j = 0; j < per; j++) tree[g * per + j] = pi[g] * rho[g][j];
        }
        probs[t] = tree;
        int[] gOrder = argsortDesc(a);
        topGaps(a, gOrder, gk, t, r, "group");
        double[] piSel = new double[gk];
        for (int i = 0; i < gk; i++) piSel[i] = pi[gOrder[i]];
        double piNorm = norm(piSel, cfg.normalize());
        for (int i = 0; i < gk; i++) {
            int g = gOrder[i];
            int[] eOrder = argsortDesc(groupLogits[g]);
            topGaps(groupLogits[g], eOrder, k, t, r, "expert in group " + g);
            double[] rhoSel = new double[k];
            for (int j = 0; j < k; j++) rhoSel[j] = rho[g][eOrder[j]];
            double rhoNorm = norm(rhoSel, cfg.normalize());
            for (int j = 0; j < k; j++) {
                cs.add(new Choice(g * per + eOrder[j], piSel[i] / piNorm * rhoSel[j] / rhoNorm));
            }
        }
    }

    /** Margins of the top-k decision: every adjacent gap among the k + 1 best (membership and rank order). */
    private static void topGaps(double[] scores, int[] order, int k, int t, Result r, String what) {
        for (int j = 0; j < k && j + 1 < order.length; j++) {
            r.gap(t, scores[order[j]] - scores[order[j + 1]], what + " ranks " + j + "/" + (j + 1)
                    + " (" + order[j] + " vs " + order[j + 1] + ")");
        }
    }

    // ---------------------------------------------------------------- batch-level routers

    private void expertChoice(double[][] x, Result r) {
        int tokens = x.length;
        r.coupled = true;
        double[][] h = new double[tokens][];
        double[][] p = new double[tokens][];
        for (int t = 0; t < tokens; t++) {
            h[t] = logits(router, routerBias, x[t]);
            p[t] = softmax(h[t]);
        }
        double cf = cfg.hasCapacity() ? cfg.capacityFactor() : cfg.topK();
        long capacity = (long) Math.ceil(cf * tokens / numExperts);
        int take = (int) Math.min(capacity, tokens);
        for (int e = 0; e < numExperts; e++) {
            final int ex = e;
            Integer[] order = new Integer[tokens];
            for (int t = 0; t < tokens; t++) order[t] = t;
            // Descending P[:, e]; a stable sort keeps ties in token order (lower t first).
            Arrays.sort(order, (a, b) -> Double.compare(p[b][ex], p[a][ex]));
            if (take < tokens) {
                // Margin in log-probability (logit minus logsumexp): float32 resolves that to ~1e-6 absolute.
                double gap = logProb(h[order[take - 1]], ex) - logProb(h[order[take]], ex);
                r.gap(order[take - 1], gap, "expert_choice cut of expert " + e + " (tokens " + order[take - 1] + " vs " + order[take] + ")");
                r.gap(order[take], gap, "expert_choice cut of expert " + e);
            }
            for (int i = 0; i < take; i++) {
                int t = order[i];
                addScaled(r.y[t], experts[e].apply(x[t]), p[t][e]);
                r.served.get(t).add(e);
                r.weights.get(t).add(p[t][e]);
            }
            r.load[e] = take;
        }
        double total = (double) take * numExperts;
        double[] f = new double[numExperts];
        for (int e = 0; e < numExperts; e++) f[e] = r.load[e] / total;
        losses(r, f, p, h);
    }

    private void soft(double[][] x, Result r) {
        int tokens = x.length, slots = cfg.slots(), n = numExperts * slots;
        double[][] l = new double[tokens][n];
        for (int t = 0; t < tokens; t++) for (int j = 0; j < n; j++) l[t][j] = dot(phi[j], x[t]);
        double[][] slotOut = new double[n][];
        for (int j = 0; j < n; j++) {
            double[] col = new double[tokens];
            for (int t = 0; t < tokens; t++) col[t] = l[t][j];
            double[] dw = softmax(col);
            double[] xin = new double[d];
            for (int t = 0; t < tokens; t++) addScaled(xin, x[t], dw[t]);
            slotOut[j] = experts[j / slots].apply(xin);
        }
        for (int t = 0; t < tokens; t++) {
            double[] cw = softmax(l[t]);
            for (int j = 0; j < n; j++) addScaled(r.y[t], slotOut[j], cw[j]);
        }
        for (int e = 0; e < numExperts; e++) r.load[e] = slots;
        r.coupled = true;
    }

    // ---------------------------------------------------------------- statistics

    private void losses(Result r, double[] f, double[][] probs, double[][] lossLogits) {
        int tokens = probs.length;
        double[] meanP = new double[numExperts];
        double z = 0, ent = 0;
        for (int t = 0; t < tokens; t++) {
            for (int e = 0; e < numExperts; e++) meanP[e] += probs[t][e] / tokens;
            double lse = logSumExp(lossLogits[t]);
            z += lse * lse / tokens;
            double[] q = softmax(lossLogits[t]);
            double h = 0;
            for (double v : q) if (v > 0) h -= v * Math.log(v);
            ent += h / tokens;
        }
        double aux = 0;
        for (int e = 0; e < numExperts; e++) aux += f[e] * meanP[e];
        r.hasLosses = true;
        r.aux = numExperts * aux;
        r.z = z;
        r.entropy = ent;
    }

    // ---------------------------------------------------------------- experts

    /** One feed-forward expert in double precision. */
    static final class Ffn {
        final double[][] w1, w3, w2;
        final double[] b1, b2;
        final Activation act;

        Ffn(Expert e, Activation act) {
            this.act = act;
            w1 = matrix(e.w1());
            w3 = matrix(e.w3());
            w2 = matrix(e.w2());
            b1 = vector(e.b1());
            b2 = vector(e.b2());
            if (act.isGated() && w3 == null) throw new IllegalArgumentException("swiglu expert without w3");
        }

        double[] apply(double[] x) {
            int f = w1.length, dim = w2.length;
            double[] hidden = new double[f];
            for (int i = 0; i < f; i++) {
                double a = dot(w1[i], x);
                if (act.isGated()) {
                    hidden[i] = silu(a) * dot(w3[i], x);
                } else {
                    if (b1 != null) a += b1[i];
                    hidden[i] = switch (act) {
                        case RELU -> Math.max(a, 0);
                        case GELU -> gelu(a);
                        case SILU -> silu(a);
                        case SWIGLU -> throw new AssertionError();
                    };
                }
            }
            double[] out = new double[dim];
            for (int o = 0; o < dim; o++) {
                out[o] = dot(w2[o], hidden);
                if (!act.isGated() && b2 != null) out[o] += b2[o];
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- math

    public static double silu(double z) { return z / (1 + Math.exp(-z)); }

    public static double sigmoid(double z) { return 1 / (1 + Math.exp(-z)); }

    public static double softplus(double z) { return z > 30 ? z : Math.log1p(Math.exp(z)); }

    public static double gelu(double z) { return 0.5 * z * (1 + erf(z / Math.sqrt(2))); }

    /**
     * erf to double precision: {@code erf(z) = 2/√π · exp(−z²) · Σ 2ⁿ z^(2n+1) / (1·3·…·(2n+1))}, a series of
     * positive terms (no cancellation) that converges for every z; |erf(z)| = 1 to double precision beyond 6.
     */
    public static double erf(double z) {
        double a = Math.abs(z);
        if (a >= 6) return Math.signum(z);
        double term = a, sum = a;
        for (int n = 1; n < 400; n++) {
            term *= 2 * a * a / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        double v = 2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum;
        return z < 0 ? -v : v;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static void addScaled(double[] acc, double[] v, double s) {
        for (int i = 0; i < acc.length; i++) acc[i] += s * v[i];
    }

    static double[] logits(double[][] w, double[] bias, double[] x) {
        double[] h = new double[w.length];
        for (int e = 0; e < w.length; e++) h[e] = dot(w[e], x) + (bias == null ? 0 : bias[e]);
        return h;
    }

    public static double logSumExp(double[] v) {
        double m = Double.NEGATIVE_INFINITY;
        for (double a : v) m = Math.max(m, a);
        double s = 0;
        for (double a : v) s += Math.exp(a - m);
        return m + Math.log(s);
    }

    static double logProb(double[] h, int e) { return h[e] - logSumExp(h); }

    public static double[] softmax(double[] v) {
        double lse = logSumExp(v);
        double[] p = new double[v.length];
        for (int i = 0; i < v.length; i++) p[i] = Math.exp(v[i] - lse);
        return p;
    }

    /** Indices by descending score, ties to the lower index. */
    static int[] argsortDesc(double[] s) {
        Integer[] idx = new Integer[s.length];
        for (int i = 0; i < s.length; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : Integer.compare(a, b));
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) out[i] = idx[i];
        return out;
    }

    static double norm(double[] v, Normalize n) {
        return switch (n) {
            case L1 -> {
                double s = 0;
                for (double a : v) s += Math.abs(a);
                yield s;
            }
            case L2 -> Math.sqrt(dot(v, v));
            case NONE -> 1;
        };
    }

    static double[][] matrix(Tensor t) {
        if (t == null) return null;
        int rows = (int) t.dim(0), cols = (int) t.dim(1);
        float[] v = t.toFloatArray();
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) m[i][j] = v[i * cols + j];
        return m;
    }

    static double[] vector(Tensor t) {
        if (t == null) return null;
        float[] v = t.toFloatArray();
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }
}
