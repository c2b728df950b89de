package io.moe4j.engine.moe.reference;

import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random MoE layers for every router, activation and option of the contract, with weights of any dtype (router
 * weights included). Layers are well-conditioned for routing: router rows are scaled so that the logits of a
 * standard-normal token spread with a standard deviation of about 2, which makes float32-vs-double near-ties on
 * top-k decisions rare (they are still detected and reported by the comparisons, see {@link NaiveMoe#TIE_GAP}).
 */
public final class RandomLayers {
    private RandomLayers() { }

    /** Which of w1.bias / w2.bias a non-gated expert carries. */
    public enum Biases { NONE, BOTH, B1_ONLY, B2_ONLY }

    /** Everything that describes one random layer; fluent setters, {@link #copy()} for variants. */
    public static final class Spec {
        public String name = "layer";
        public RouterKind router = RouterKind.SOFTMAX_TOPK;
        public int d = 16, f = 24, e = 4, k = 2;
        public Activation activation = Activation.SWIGLU;
        public Normalize normalize = Normalize.L1;
        public double capacityFactor = Double.NaN;
        public int groups = 1, groupTopK = 1, slots = 0;
        public SecondExpert secondExpert = SecondExpert.TOP;
        public boolean noise;
        public long seed = 1234;
        public boolean routerBias;
        public int shared;
        public boolean sharedGate;
        public boolean cmr;
        public boolean cmrBias = true;
        public Biases biases = Biases.NONE;
        /** hash: whether router.weight is present (for statistics only). */
        public boolean hashLogits = true;
        public int vocab = 37;
        public DType dtype = DType.F32;
        /** Standard deviation of the router logits of a standard-normal token. */
        public double logitSpread = 2.0;
        /** Seed of the weights. */
        public long weightSeed = 1;

        public Spec copy() {
            Spec s = new Spec();
            s.name = name; s.router = router; s.d = d; s.f = f; s.e = e; s.k = k; s.activation = activation;
            s.normalize = normalize; s.capacityFactor = capacityFactor; s.groups = groups; s.groupTopK = groupTopK;
            s.slots = slots; s.secondExpert = secondExpert; s.noise = noise; s.seed = seed; s.routerBias = routerBias;
            s.shared = shared; s.sharedGate = sharedGate; s.cmr = cmr; s.cmrBias = cmrBias; s.biases = biases;
            s.hashLogits = hashLogits; s.vocab = vocab; s.dtype = dtype; s.logitSpread = logitSpread;
            s.weightSeed = weightSeed;
            return s;
        }

        public Spec name(String v) { name = v; return this; }
        public Spec router(RouterKind v) { router = v; return this; }
        public Spec size(int dd, int ff, int ee) { d = dd; f = ff; e = ee; return this; }
        public Spec k(int v) { k = v; return this; }
        public Spec activation(Activation v) { activation = v; return this; }
        public Spec normalize(Normalize v) { normalize = v; return this; }
        public Spec capacity(double v) { capacityFactor = v; return this; }
        public Spec groups(int g, int gk) { groups = g; groupTopK = gk; return this; }
        public Spec slots(int v) { slots = v; return this; }
        public Spec secondExpert(SecondExpert v) { secondExpert = v; return this; }
        public Spec noise(boolean v) { noise = v; return this; }
        public Spec seed(long v) { seed = v; return this; }
        public Spec routerBias(boolean v) { routerBias = v; return this; }
        public Spec shared(int n, boolean gate) { shared = n; sharedGate = gate; return this; }
        public Spec cmr(boolean v, boolean bias) { cmr = v; cmrBias = bias; return this; }
        public Spec biases(Biases v) { biases = v; return this; }
        public Spec hashLogits(boolean v) { hashLogits = v; return this; }
        public Spec dtype(DType v) { dtype = v; return this; }
        public Spec weightSeed(long v) { weightSeed = v; return this; }
        public Spec logitSpread(double v) { logitSpread = v; return this; }

        public MoeConfig config() {
            int topK = router == RouterKind.DENSE ? e : router == RouterKind.HASH ? 1 : k;
            return new MoeConfig(router, e, topK, activation, normalize, capacityFactor,
                    router == RouterKind.HIERARCHICAL ? groups : 1, router == RouterKind.HIERARCHICAL ? groupTopK : 1,
                    router == RouterKind.SOFT ? slots : 0, secondExpert, noise, seed);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(name).append(" [").append(router.key());
            b.append(" D=").append(d).append(" F=").append(f).append(" E=").append(e);
            if (router != RouterKind.DENSE && router != RouterKind.HASH && router != RouterKind.SOFT) b.append(" k=").append(k);
            b.append(' ').append(activation.key());
            if (!activation.isGated() && biases != Biases.NONE) b.append("+bias:").append(biases.name().toLowerCase());
            b.append(' ').append(dtype);
            return b.append(']').toString();
        }
    }

    /** A random layer: its settings and tensors (allocated in the caller's arena). */
    public record Layer(Spec spec, MoeConfig config, MoeWeights weights) { }

    public static Layer build(Arena arena, Spec s) {
        MoeConfig cfg = s.config();
        SplittableRandom rnd = new SplittableRandom(s.weightSeed * 0x9E3779B97F4A7C15L + s.toString().hashCode());
        double routerStd = s.logitSpread / Math.sqrt(s.d);
        Tensor router = null, routerBias = null, noise = null, phi = null, table = null;
        List<Tensor> groupRouters = new ArrayList<>();
        switch (s.router) {
            case SOFT -> phi = gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.d), (long) s.e * s.slots, s.d);
            case HIERARCHICAL -> {
                router = gaussian(arena, s.dtype, rnd, routerStd, s.groups, s.d);
                if (s.routerBias) routerBias = gaussian(arena, s.dtype, rnd, 0.5, s.groups);
                for (int g = 0; g < s.groups; g++) groupRouters.add(gaussian(arena, s.dtype, rnd, routerStd, s.e / s.groups, s.d));
            }
            case HASH -> {
                if (s.hashLogits) {
                    router = gaussian(arena, s.dtype, rnd, routerStd, s.e, s.d);
                    if (s.routerBias) routerBias = gaussian(arena, s.dtype, rnd, 0.5, s.e);
                }
                table = Tensor.allocate(arena, DType.I32, s.vocab);
                for (int v = 0; v < s.vocab; v++) table.setFloat(rnd.nextInt(s.e), v);
            }
            default -> {
                router = gaussian(arena, s.dtype, rnd, routerStd, s.e, s.d);
                if (s.routerBias) routerBias = gaussian(arena, s.dtype, rnd, 0.5, s.e);
                if (s.router == RouterKind.NOISY_TOPK) noise = gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.d), s.e, s.d);
            }
        }
        List<Expert> experts = new ArrayList<>();
        for (int e = 0; e < s.e; e++) experts.add(expert(arena, s, rnd));
        List<Expert> shared = new ArrayList<>();
        for (int i = 0; i < s.shared; i++) shared.add(expert(arena, s, rnd));
        Tensor sharedGate = s.sharedGate ? gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.d), 1, s.d) : null;
        Tensor cmrW = null, cmrB = null;
        Expert dense = null;
        if (s.cmr) {
            cmrW = gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.d), 1, s.d);
            if (s.cmrBias) cmrB = gaussian(arena, s.dtype, rnd, 0.5, 1);
            dense = expert(arena, s, rnd);
        }
        MoeWeights w = new MoeWeights(router, routerBias, noise, groupRouters, phi, table, experts, shared, sharedGate,
                cmrW, cmrB, dense);
        return new Layer(s, cfg, w);
    }

    private static Expert expert(Arena arena, Spec s, SplittableRandom rnd) {
        Tensor w1 = gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.d), s.f, s.d);
        Tensor w3 = s.activation.isGated() ? gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.d), s.f, s.d) : null;
        Tensor w2 = gaussian(arena, s.dtype, rnd, 1 / Math.sqrt(s.f), s.d, s.f);
        Tensor b1 = null, b2 = null;
        if (!s.activation.isGated()) {
            if (s.biases == Biases.BOTH || s.biases == Biases.B1_ONLY) b1 = gaussian(arena, s.dtype, rnd, 0.5, s.f);
            if (s.biases == Biases.BOTH || s.biases == Biases.B2_ONLY) b2 = gaussian(arena, s.dtype, rnd, 0.5, s.d);
        }
        return new Expert(w1, w3, w2, b1, b2);
    }

    /** A tensor of N(0, std²) values rounded to dtype. */
    public static Tensor gaussian(Arena arena, DType dtype, SplittableRandom rnd, double std, long... shape) {
        Tensor t = Tensor.allocate(arena, dtype, shape);
        long n = t.size();
        Tensor flat = t.reshape(n);
        for (long i = 0; i < n; i++) flat.setFloat((float) (std * gauss(rnd)), i);
        return t;
    }

    /** Random tokens: x [T][D] standard normal. */
    public static float[][] tokens(SplittableRandom rnd, int t, int d) {
        float[][] x = new float[t][d];
        for (float[] row : x) for (int i = 0; i < d; i++) row[i] = (float) gauss(rnd);
        return x;
    }

    public static int[] tokenIds(SplittableRandom rnd, int t, int vocab) {
        int[] ids = new int[t];
        for (int i = 0; i < t; i++) ids[i] = rnd.nextInt(vocab);
        return ids;
    }

    static double gauss(SplittableRandom rnd) {
        double u1 = 1 - rnd.nextDouble(), u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
}
