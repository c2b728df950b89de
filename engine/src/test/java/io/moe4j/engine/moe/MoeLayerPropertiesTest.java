package io.moe4j.engine.moe;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.reference.Compare;
import io.moe4j.engine.moe.reference.NaiveMoe;
import io.moe4j.engine.moe.reference.RandomLayers;
import io.moe4j.engine.moe.reference.RandomLayers.Biases;
import io.moe4j.engine.moe.reference.RandomLayers.Spec;
import io.moe4j.engine.tensor.DType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Properties of the engine's layer that hold whatever the weights: equivariance, capacity, gate sums, randomness. */
class MoeLayerPropertiesTest {
    static CpuBackend backend;

    @BeforeAll
    static void open() { backend = CpuBackend.create(2); }

    @AfterAll
    static void close() { backend.close(); }

    static Spec spec(String name, RouterKind router) {
        return new Spec().name(name).router(router).size(48, 96, 8).k(2);
    }

    /**
     * Token-choice routers without capacity treat every token on its own, so permuting the rows of x permutes
     * the rows of y the same way. Asserted to 1e-6·(1 + |y|) (a token's expert batch changes position and
     * size-class in the grouped matmuls, which a BLAS may round differently); whether it is also bit-exact is
     * printed. Loads are permutation-invariant exactly, the losses to 1e-6 relative (summation order).
     */
    @Test
    void tokenChoiceWithoutCapacityIsPermutationEquivariant() {
        List<Spec> specs = List.of(
                spec("topk k2 l1", RouterKind.SOFTMAX_TOPK),
                spec("topk k2 l2 bf16", RouterKind.SOFTMAX_TOPK).normalize(Normalize.L2).dtype(DType.BF16),
                spec("dense", RouterKind.DENSE).normalize(Normalize.NONE).activation(Activation.GELU).biases(Biases.BOTH),
                spec("noisy noise=off", RouterKind.NOISY_TOPK),
                spec("hash", RouterKind.HASH),
                spec("hierarchical G4 gk2 k1", RouterKind.HIERARCHICAL).groups(4, 2).k(1).dtype(DType.F16),
                spec("topk k2 +shared+gate", RouterKind.SOFTMAX_TOPK).shared(1, true));
        List<String> failures = new ArrayList<>();
        for (Spec s : specs) {
            try (Arena arena = Arena.ofShared()) {
                RandomLayers.Layer l = RandomLayers.build(arena, s);
                try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                    SplittableRandom rnd = new SplittableRandom(42);
                    for (int t : new int[] {5, 33}) {
                        float[][] x = RandomLayers.tokens(rnd, t, s.d);
                        int[] ids = s.router == RouterKind.HASH ? RandomLayers.tokenIds(rnd, t, s.vocab) : null;
                        int[] perm = permutation(rnd, t);
                        float[][] xp = new float[t][];
                        int[] idsp = ids == null ? null : new int[t];
                        for (int i = 0; i < t; i++) {
                            xp[i] = x[perm[i]];
                            if (ids != null) idsp[i] = ids[perm[i]];
                        }
                        RoutingStats st = new RoutingStats(s.e), stp = new RoutingStats(s.e);
                        float[][] y = LayerRunner.forward(layer, arena, x, ids, st);
                        float[][] yp = LayerRunner.forward(layer, arena, xp, idsp, stp);
                        double worst = 0;
                        boolean exact = true;
                        for (int i = 0; i < t; i++) {
                            for (int j = 0; j < s.d; j++) {
                                float a = y[perm[i]][j], b = yp[i][j];
                                exact &= Float.floatToRawIntBits(a) == Float.floatToRawIntBits(b);
                                worst = Math.max(worst, Math.abs(a - b) / (1 + Math.abs(a)));
                            }
                        }
                        System.out.printf("permutation %-24s T=%2d: %s (max scaled diff %.3g)%n", s.name, t,
                                exact ? "bit-exact" : "NOT bit-exact", worst);
                        if (worst > 1e-6) failures.add(s.name + " T=" + t + ": max |y_perm − perm(y)|/(1+|y|) = " + worst);
                        if (!Arrays.equals(st.expertLoads(), stp.expertLoads())) {
                            failures.add(s.name + " T=" + t + ": loads " + Arrays.toString(st.expertLoads()) + " vs permuted "
                                    + Arrays.toString(stp.expertLoads()));
                        }
                        if (st.hasRouterLosses()) {
                            relClose(failures, s.name + " T=" + t + " aux", st.auxLoss(), stp.auxLoss());
                            relClose(failures, s.name + " T=" + t + " z", st.zLoss(), stp.zLoss());
                            relClose(failures, s.name + " T=" + t + " entropy", st.entropy(), stp.entropy());
                        }
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * With a capacity factor, no expert serves more than C = ceil(c·k·T/E) assignments, and every assignment is
     * either served or dropped (k·T of them; GShard's rejected second choices are neither). Expert choice: every
     * expert takes exactly min(C, T) tokens, nothing is dropped.
     */
    @Test
    void loadsNeverExceedCapacity() {
        List<String> failures = new ArrayList<>();
        double[] factors = {0.25, 0.5, 1.0, 1.25, 2.0};
        int[] tokenCounts = {1, 3, 7, 16, 40};
        int n = 0;
        for (RouterKind router : new RouterKind[] {RouterKind.SOFTMAX_TOPK, RouterKind.SWITCH, RouterKind.NOISY_TOPK,
                RouterKind.HASH, RouterKind.DENSE, RouterKind.HIERARCHICAL, RouterKind.EXPERT_CHOICE}) {
            for (double c : factors) {
                Spec s = new Spec().name(router.key()).router(router).size(16, 24, 8).k(router == RouterKind.SWITCH ? 1 : 2)
                        .capacity(c).seed(n).weightSeed(n);
                if (router == RouterKind.SWITCH || router == RouterKind.DENSE) s.normalize(Normalize.NONE);
                if (router == RouterKind.NOISY_TOPK) s.noise(true);
                if (router == RouterKind.HIERARCHICAL) s.groups(4, 2).k(1);
                if (router == RouterKind.SWITCH && n % 2 == 0) s.k(2).secondExpert(SecondExpert.RANDOM);
                n++;
                try (Arena arena = Arena.ofShared()) {
                    RandomLayers.Layer l = RandomLayers.build(arena, s);
                    MoeConfig cfg = l.config();
                    try (MoeLayer layer = MoeLayer.create(backend, cfg, l.weights())) {
                        SplittableRandom rnd = new SplittableRandom(n);
                        RoutingStats st = new RoutingStats(s.e);
                        for (int t : tokenCounts) {
                            float[][] x = RandomLayers.tokens(rnd, t, s.d);
                            int[] ids = router == RouterKind.HASH ? RandomLayers.tokenIds(rnd, t, s.vocab) : null;
                            LayerRunner.forward(layer, arena, x, ids, st);
                            long total = Arrays.stream(st.expertLoads()).sum() + st.dropped();
                            String where = s.name + " k=" + cfg.topK() + (cfg.secondExpert() == SecondExpert.RANDOM ? " random" : "")
                                    + " c=" + c + " T=" + t + ": loads " + Arrays.toString(st.expertLoads()) + " dropped " + st.dropped();
                            if (router == RouterKind.EXPERT_CHOICE) {
                                long cap = Math.min((long) Math.ceil(c * t / s.e), t);
                                for (long load : st.expertLoads()) if (load != cap) failures.add(where + ": expected every load = " + cap);
                                if (st.dropped() != 0) failures.add(where + ": expert choice drops nothing");
                                continue;
                            }
                            long cap = (long) Math.ceil(c * cfg.choicesPerToken() * t / s.e);
                            for (long load : st.expertLoads()) if (load > cap) failures.add(where + ": a load exceeds C = " + cap);
                            long assignments = (long) cfg.choicesPerToken() * t;
                            if (cfg.secondExpert() == SecondExpert.RANDOM && cfg.topK() == 2) {
                                if (total < t || total > assignments) failures.add(where + ": served + dropped outside [T, 2T]");
                            } else if (total != assignments) {
                                failures.add(where + ": served + dropped = " + total + ", expected " + assignments);
                            }
                        }
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * Experts with a constant output (relu, w2 = 0, b2 = c the same for all) make y = (Σ g_e)·c: for routers whose
     * gates sum to 1 (l1 top-k, dense, noisy top-k, hierarchical with l1 at both levels, soft's combine) y = c.
     */
    @Test
    void gateWeightsSumToOne() {
        List<Spec> specs = List.of(
                spec("topk k1 l1", RouterKind.SOFTMAX_TOPK).k(1),
                spec("topk k3 l1", RouterKind.SOFTMAX_TOPK).k(3).routerBias(true),
                spec("dense", RouterKind.DENSE).normalize(Normalize.NONE),
                spec("noisy k2 noise=on", RouterKind.NOISY_TOPK).noise(true),
                spec("hierarchical G4 gk2 k2 l1", RouterKind.HIERARCHICAL).groups(4, 2).k(2),
                spec("hierarchical dense G2 none", RouterKind.HIERARCHICAL).groups(2, 2).k(4).normalize(Normalize.NONE),
                spec("soft S2", RouterKind.SOFT).slots(2));
        List<String> failures = new ArrayList<>();
        for (Spec s0 : specs) {
            Spec s = s0.copy().activation(Activation.RELU).biases(Biases.BOTH).dtype(DType.F32);
            try (Arena arena = Arena.ofShared()) {
                RandomLayers.Layer l = RandomLayers.build(arena, s);
                float[] c = new float[s.d];
                for (int i = 0; i < s.d; i++) c[i] = (float) Math.sin(i + 1) * 2;
                for (Expert e : l.weights().experts()) {
                    e.w2().segment().fill((byte) 0);
                    for (int i = 0; i < s.d; i++) e.b2().setFloat(c[i], i);
                }
                try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                    SplittableRandom rnd = new SplittableRandom(3);
                    for (int t : new int[] {1, 9}) {
                        float[][] y = LayerRunner.forward(layer, arena, RandomLayers.tokens(rnd, t, s.d), null, null);
                        double worst = 0;
                        for (float[] row : y) for (int i = 0; i < s.d; i++) worst = Math.max(worst, Math.abs(row[i] - c[i]));
                        if (!(worst <= 1e-5)) failures.add(s.name + " T=" + t + ": max |y − c| = " + worst + " (Σ g ≠ 1)");
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * The random routers are pure functions of (seed, call, token, expert): two layers with the same seed agree
     * bit for bit call after call; successive calls on the same x differ (the call counter advances); another
     * seed gives other numbers.
     */
    @Test
    void randomRoutersAreReproducibleAndAdvance() {
        List<String> failures = new ArrayList<>();
        for (Spec s : List.of(
                spec("noisy k2 noise=on", RouterKind.NOISY_TOPK).noise(true).seed(11),
                spec("switch k2 random", RouterKind.SWITCH).normalize(Normalize.NONE).secondExpert(SecondExpert.RANDOM)
                        .capacity(4.0).seed(11))) {
            try (Arena arena = Arena.ofShared()) {
                RandomLayers.Layer l = RandomLayers.build(arena, s);
                MoeConfig other = new MoeConfig(l.config().router(), l.config().numExperts(), l.config().topK(),
                        l.config().activation(), l.config().normalize(), l.config().capacityFactor(), 1, 1, 0,
                        l.config().secondExpert(), l.config().noise(), 12);
                float[][] x = RandomLayers.tokens(new SplittableRandom(5), 33, s.d);
                try (MoeLayer a = MoeLayer.create(backend, l.config(), l.weights());
                     MoeLayer b = MoeLayer.create(backend, l.config(), l.weights());
                     MoeLayer c = MoeLayer.create(backend, other, l.weights())) {
                    float[][] prevA = null;
                    for (int call = 0; call < 3; call++) {
                        float[][] ya = LayerRunner.forward(a, arena, x, null, null);
                        float[][] yb = LayerRunner.forward(b, arena, x, null, null);
                        float[][] yc = LayerRunner.forward(c, arena, x, null, null);
                        if (!Arrays.deepEquals(ya, yb)) failures.add(s.name + " call " + call + ": same seed, different y");
                        if (Arrays.deepEquals(ya, yc)) failures.add(s.name + " call " + call + ": seeds 11 and 12 gave the same y");
                        if (prevA != null && Arrays.deepEquals(prevA, ya)) {
                            failures.add(s.name + " call " + call + ": same y as the previous call on the same x (call counter?)");
                        }
                        prevA = ya;
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /**
     * Exact ties go to the lower index: the expert index for token choice, the token position for expert choice.
     * Weights and inputs are small multiples of 1/4, so every logit is exact in float32 whatever the summation
     * order and the tie is real in the engine too; compared strictly (no near-tie excuse) with the reference.
     */
    @Test
    void exactTiesGoToTheLowerIndex() {
        List<String> failures = new ArrayList<>();
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            // Token choice: rows 1 and 2 of the router are equal and (for each token) the largest.
            for (int k : new int[] {1, 2}) {
                Spec s = spec("topk tie k" + k, RouterKind.SOFTMAX_TOPK).size(16, 24, 4).k(k).dtype(dtype)
                        .capacity(k == 2 ? 0.5 : Double.NaN);
                try (Arena arena = Arena.ofShared()) {
                    RandomLayers.Layer l = RandomLayers.build(arena, s);
                    SplittableRandom rnd = new SplittableRandom(k);
                    float[] v = new float[s.d];
                    for (int i = 0; i < s.d; i++) v[i] = 0.25f * (rnd.nextInt(3) - 1);
                    v[0] = 0.25f;
                    for (int i = 0; i < s.d; i++) {
                        l.weights().router().setFloat(-v[i], 0, i);
                        l.weights().router().setFloat(v[i], 1, i);
                        l.weights().router().setFloat(v[i], 2, i);
                        l.weights().router().setFloat(-0.5f * v[i], 3, i);
                    }
                    float[][] x = new float[8][s.d];
                    for (float[] row : x) {
                        double dot;
                        do {
                            dot = 0;
                            for (int i = 0; i < s.d; i++) {
                                row[i] = rnd.nextInt(5) - 2;
                                dot += row[i] * v[i];
                            }
                        } while (dot == 0);
                        if (dot < 0) for (int i = 0; i < s.d; i++) row[i] = -row[i];
                    }
                    // The rule itself: k = 1 → expert 1 serves all; k = 2, C = 2 → experts 1 then 2 take two each.
                    long[] expected = k == 1 ? new long[] {0, 8, 0, 0} : new long[] {0, 2, 2, 0};
                    strict(failures, s.name + " " + dtype, l, x, arena, expected);
                }
            }
            // Expert choice: identical tokens, C = 1: every expert must take token 0.
            Spec s = spec("expert_choice tie", RouterKind.EXPERT_CHOICE).size(16, 24, 4).k(1).dtype(dtype);
            try (Arena arena = Arena.ofShared()) {
                RandomLayers.Layer l = RandomLayers.build(arena, s);
                float[] row = RandomLayers.tokens(new SplittableRandom(8), 1, s.d)[0];
                strict(failures, s.name + " " + dtype, l, new float[][] {row, row, row, row}, arena, new long[] {1, 1, 1, 1});
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static void strict(List<String> failures, String name, RandomLayers.Layer l, float[][] x, Arena arena,
                               long[] expectedLoads) {
        NaiveMoe ref = new NaiveMoe(l.config(), l.weights());
        NaiveMoe.Result r = ref.forward(x, null);
        assertTrue(Arrays.equals(expectedLoads, r.load), name + ": the reference's own loads " + Arrays.toString(r.load));
        if (l.config().router() == RouterKind.EXPERT_CHOICE) {
            assertTrue(r.served.get(0).equals(List.of(0, 1, 2, 3)) && r.served.get(3).isEmpty(), name + ": " + r.served);
        }
        try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
            RoutingStats st = new RoutingStats(l.config().numExperts());
            float[][] y = LayerRunner.forward(layer, arena, x, null, st);
            Compare.Report rep = Compare.check(r, y, st, Compare.Tolerance.ENGINE);
            if (!rep.ok() || !rep.nearTies.isEmpty()) {
                failures.add(name + ": reference served " + r.served + ", loads " + Arrays.toString(r.load) + "; engine loads "
                        + Arrays.toString(st.expertLoads()) + ": " + rep.failures + rep.nearTies);
            }
        }
    }

    static int[] permutation(SplittableRandom rnd, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    static void relClose(List<String> failures, String what, double a, double b) {
        if (!(Math.abs(a - b) <= 1e-6 * Math.abs(a) + 1e-9)) failures.add(what + ": " + a + " vs permuted " + b);
    }
}
