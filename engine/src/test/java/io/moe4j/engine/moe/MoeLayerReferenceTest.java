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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's {@link MoeLayer} against {@link NaiveMoe} on random layers: every router with its options, × every
 * activation (non-gated ones cycling through bias patterns) × weight dtypes F32, F16, BF16 (router weights too),
 * sizes cycling through D ∈ {16, 48, 64}, F ∈ {24, 96}, E ∈ {4, 8, 16}. Each layer gets three forward calls
 * with T = 1, 5 and 33 in a rotating order, on one reused {@link RoutingStats} and a NaN-filled y (so the
 * call counter of the random routers, stale statistics and unwritten outputs all show).
 *
 * <p>Tolerance: see {@link Compare.Tolerance#ENGINE} (|y − ref| ≤ 1e-4·(1 + |ref|); statistics 1e-5 relative).
 * Near-ties are reported on stdout and in the summary, not failed.
 */
class MoeLayerReferenceTest {
    static CpuBackend backend;
    static final ConcurrentLinkedQueue<String> nearTies = new ConcurrentLinkedQueue<>();
    static volatile double worstScaled;
    static volatile String worstCase = "";

    @BeforeAll
    static void open() { backend = CpuBackend.create(2); }

    @AfterAll
    static void close() {
        backend.close();
        System.out.printf("worst |y - ref| / tolerance over all passing comparisons: %.4f (%s)%n", worstScaled, worstCase);
        System.out.println(nearTies.size() + " near-tie cases");
        nearTies.forEach(s -> System.out.println("  NEAR-TIE " + s));
    }

    /** One router/option setting; {@code valid} rejects sizes it cannot use. */
    record Variant(String name, UnaryOperator<Spec> apply, java.util.function.Predicate<Spec> valid) {
        Variant(String name, UnaryOperator<Spec> apply) { this(name, apply, s -> true); }
    }

    static final int[][] SIZES = {{16, 24, 4}, {48, 96, 8}, {64, 24, 16}, {16, 96, 16}, {48, 24, 4}, {64, 96, 8}};

    static List<Variant> variants() {
        RouterKind topk = RouterKind.SOFTMAX_TOPK;
        List<Variant> v = new ArrayList<>();
        v.add(new Variant("topk k1 l1", s -> s.router(topk).k(1)));
        v.add(new Variant("topk k2 l1 +router.bias", s -> s.router(topk).k(2).routerBias(true)));
        v.add(new Variant("topk k2 l2", s -> s.router(topk).k(2).normalize(Normalize.L2)));
        v.add(new Variant("topk k3 none", s -> s.router(topk).k(3).normalize(Normalize.NONE)));
        v.add(new Variant("topk k2 l1 cap1.0", s -> s.router(topk).k(2).capacity(1.0)));
        v.add(new Variant("topk k2 l2 cap1.5", s -> s.router(topk).k(2).normalize(Normalize.L2).capacity(1.5)));
        v.add(new Variant("dense", s -> s.router(RouterKind.DENSE).normalize(Normalize.NONE)));
        v.add(new Variant("dense cap0.5", s -> s.router(RouterKind.DENSE).normalize(Normalize.NONE).capacity(0.5)));
        v.add(new Variant("noisy k2 noise=off", s -> s.router(RouterKind.NOISY_TOPK).k(2).noise(false)));
        v.add(new Variant("noisy k2 noise=on", s -> s.router(RouterKind.NOISY_TOPK).k(2).noise(true).seed(77)));
        v.add(new Variant("noisy k1 noise=on cap1.0", s -> s.router(RouterKind.NOISY_TOPK).k(1).noise(true).seed(5).capacity(1.0)));
        v.add(new Variant("switch k1 cap1.0", s -> s.router(RouterKind.SWITCH).k(1).normalize(Normalize.NONE).capacity(1.0)));
        v.add(new Variant("switch k1 cap2.0", s -> s.router(RouterKind.SWITCH).k(1).normalize(Normalize.NONE).capacity(2.0)));
        v.add(new Variant("switch k2 top cap1.25", s -> s.router(RouterKind.SWITCH).k(2).normalize(Normalize.NONE).capacity(1.25)));
        v.add(new Variant("switch k2 random cap4", s -> s.router(RouterKind.SWITCH).k(2).normalize(Normalize.NONE)
                .secondExpert(SecondExpert.RANDOM).seed(99).capacity(4.0)));
        v.add(new Variant("switch k2 random cap1.0", s -> s.router(RouterKind.SWITCH).k(2).normalize(Normalize.NONE)
                .secondExpert(SecondExpert.RANDOM).seed(3).capacity(1.0)));
        v.add(new Variant("expert_choice k2 (cf default)", s -> s.router(RouterKind.EXPERT_CHOICE).k(2)));
        v.add(new Variant("expert_choice k2 cf1.0", s -> s.router(RouterKind.EXPERT_CHOICE).k(2).capacity(1.0).routerBias(true)));
        v.add(new Variant("expert_choice k1 cf0.5", s -> s.router(RouterKind.EXPERT_CHOICE).k(1).capacity(0.5)));
        v.add(new Variant("expert_choice cf8 (C>T)", s -> s.router(RouterKind.EXPERT_CHOICE).k(2).capacity(8.0)));
        v.add(new Variant("hash +router.weight", s -> s.router(RouterKind.HASH).hashLogits(true).routerBias(true)));
        v.add(new Variant("hash no logits", s -> s.router(RouterKind.HASH).hashLogits(false)));
        v.add(new Variant("hash cap1.0", s -> s.router(RouterKind.HASH).hashLogits(true).capacity(1.0)));
        v.add(new Variant("soft S1", s -> s.router(RouterKind.SOFT).slots(1)));
        v.add(new Variant("soft S2", s -> s.router(RouterKind.SOFT).slots(2)));
        v.add(new Variant("hierarchical dense G2 none", s -> s.router(RouterKind.HIERARCHICAL).groups(2, 2).k(s.e / 2)
                .normalize(Normalize.NONE)));
        v.add(new Variant("hierarchical dense G2 l1 +bias", s -> s.router(RouterKind.HIERARCHICAL).groups(2, 2).k(s.e / 2)
                .normalize(Normalize.L1).routerBias(true)));
        v.add(new Variant("hierarchical G4 gk2 k1 l1", s -> s.router(RouterKind.HIERARCHICAL).groups(4, 2).k(1),
                s -> s.e >= 8));
        v.add(new Variant("hierarchical G2 gk1 k2 l2 cap1.0", s -> s.router(RouterKind.HIERARCHICAL).groups(2, 1).k(2)
                .normalize(Normalize.L2).capacity(1.0)));
        // Capacity with group_top_k > 1 needs the rank order of a token's G·k choices; the reference takes it
        // group-major (i-th group's j-th expert = rank i·k + j), the reading of "first expert of the first group".
        v.add(new Variant("hierarchical G4 gk2 k2 none cap1.5 (group-major ranks)", s -> s.router(RouterKind.HIERARCHICAL)
                .groups(4, 2).k(2).normalize(Normalize.NONE).capacity(1.5), s -> s.e >= 8));
        v.add(new Variant("topk k2 +1 shared", s -> s.router(topk).k(2).shared(1, false)));
        v.add(new Variant("topk k2 +2 shared +shared_gate", s -> s.router(topk).k(2).shared(2, true)));
        v.add(new Variant("topk k2 +cmr +dense", s -> s.router(topk).k(2).cmr(true, true)));
        v.add(new Variant("switch k1 cap1.0 +cmr +dense", s -> s.router(RouterKind.SWITCH).k(1)
                .normalize(Normalize.NONE).capacity(1.0).cmr(true, true)));
        v.add(new Variant("expert_choice k2 +1 shared +shared_gate", s -> s.router(RouterKind.EXPERT_CHOICE).k(2).shared(1, true)));
        v.add(new Variant("soft S1 +1 shared", s -> s.router(RouterKind.SOFT).slots(1).shared(1, false)));
        return v;
    }

    static List<Spec> cases() {
        List<Spec> out = new ArrayList<>();
        int index = 0;
        Biases[] biasCycle = {Biases.BOTH, Biases.NONE, Biases.B1_ONLY, Biases.B2_ONLY};
        int biasIndex = 0;
        for (Variant v : variants()) {
            for (Activation act : Activation.values()) {
                for (DType dtype : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    Spec spec = null;
                    for (int j = 0; j < SIZES.length && spec == null; j++) {
                        int[] sz = SIZES[(index + j) % SIZES.length];
                        Spec base = new Spec().size(sz[0], sz[1], sz[2]);
                        if (!v.valid().test(base)) continue;
                        spec = v.apply().apply(base);
                    }
                    if (spec == null) throw new IllegalStateException("no size fits " + v.name());
                    spec.name(v.name()).activation(act).dtype(dtype).weightSeed(index);
                    if (!act.isGated()) spec.biases(biasCycle[biasIndex++ % biasCycle.length]);
                    out.add(spec);
                    index++;
                }
            }
        }
        return out;
    }

    static final int[][] T_ORDERS = {{1, 5, 33}, {33, 1, 5}, {5, 33, 1}};

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void engineMatchesReference(Spec spec) {
        Compare.Report all = run(backend, spec, (int) (spec.weightSeed % T_ORDERS.length));
        if (all.ok()) {
            if (all.maxScaledErr > worstScaled) {
                worstScaled = all.maxScaledErr;
                worstCase = spec.toString();
            }
        }
        for (String t : all.nearTies) nearTies.add(spec + " " + t);
        assertTrue(all.ok(), () -> spec + "\n  " + String.join("\n  ", all.failures)
                + (all.nearTies.isEmpty() ? "" : "\n  (near-ties: " + all.nearTies + ")"));
    }

    /** Builds the layer, runs three calls against the reference, and returns what was found. */
    static Compare.Report run(CpuBackend backend, Spec spec, int tOrder) {
        Compare.Report all = new Compare.Report();
        try (Arena arena = Arena.ofShared()) {
            RandomLayers.Layer l = RandomLayers.build(arena, spec);
            NaiveMoe ref = new NaiveMoe(l.config(), l.weights());
            boolean noisy = spec.router == RouterKind.NOISY_TOPK && spec.noise;
            NaiveMoe other = noisy ? new NaiveMoe(l.config(), l.weights()).statsOnNoisyLogits(true) : null;
            Compare.Report otherReport = new Compare.Report();
            try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                RoutingStats stats = new RoutingStats(spec.e);
                SplittableRandom rnd = new SplittableRandom(spec.weightSeed * 31 + 7);
                for (int call = 0; call < 3; call++) {
                    int t = T_ORDERS[tOrder][call];
                    float[][] x = RandomLayers.tokens(rnd, t, spec.d);
                    int[] ids = spec.router == RouterKind.HASH ? RandomLayers.tokenIds(rnd, t, spec.vocab) : null;
                    NaiveMoe.Result r = ref.forward(x, ids);
                    float[][] y = LayerRunner.forward(layer, arena, x, ids, stats);
                    all.addAll("call " + call + " (T=" + t + "): ", Compare.check(r, y, stats, Compare.Tolerance.ENGINE));
                    if (other != null) {
                        otherReport.addAll("call " + call + ": ", Compare.check(other.forward(x, ids), y, stats,
                                Compare.Tolerance.ENGINE));
                    }
                }
                if (other != null && !all.ok()) {
                    all.failures.add("diagnosis: against a reference that takes z_loss, entropy and P_e on the noisy "
                            + "logits H instead of h, " + (otherReport.ok() ? "the engine matches" : otherReport.failures));
                }
            }
        }
        return all;
    }
}
