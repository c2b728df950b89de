package io.moe4j.engine.moe;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.reference.RandomLayers;
import io.moe4j.engine.moe.reference.RandomLayers.Spec;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad operands and bad layers: a clear {@link IllegalArgumentException} naming the operand or tensor (contract:
 * "a tensor of the wrong shape or dtype, or a missing tensor is a clear error naming the key or tensor"); use
 * after close: {@link IllegalStateException}.
 */
class MoeLayerInputsTest {
    static CpuBackend backend;
    static Arena arena;

    @BeforeAll
    static void open() {
        backend = CpuBackend.create(2);
        arena = Arena.ofShared();
    }

    @AfterAll
    static void close() {
        arena.close();
        backend.close();
    }

    static final Spec TOPK = new Spec().name("topk").router(RouterKind.SOFTMAX_TOPK).size(16, 24, 4).k(2);
    static final Spec HASH = new Spec().name("hash").router(RouterKind.HASH).size(16, 24, 4);

    static MoeLayer layer(Spec spec) {
        RandomLayers.Layer l = RandomLayers.build(arena, spec);
        return MoeLayer.create(backend, l.config(), l.weights());
    }

    static Tensor f32(long... shape) { return Tensor.allocate(arena, DType.F32, shape); }

    /** Asserts an IllegalArgumentException whose message matches {@code names} (a regex, case-insensitive). */
    static void rejects(String what, String names, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call, what);
        String msg = String.valueOf(e.getMessage());
        assertTrue(Pattern.compile(names, Pattern.CASE_INSENSITIVE).matcher(msg).find(),
                what + ": the message should name the operand (/" + names + "/), got: " + msg);
        System.out.println(what + " -> " + msg);
    }

    @Test
    void badActivationOperands() {
        try (MoeLayer layer = layer(TOPK)) {
            Tensor y = f32(3, 16);
            rejects("x of wrong D", "\\bx\\b", () -> layer.forward(f32(3, 17), null, y, null));
            rejects("x of rank 1", "\\bx\\b", () -> layer.forward(f32(16), null, y, null));
            rejects("x of dtype F16", "\\bx\\b", () -> layer.forward(Tensor.allocate(arena, DType.F16, 3, 16), null, y, null));
            rejects("y with other T", "\\by\\b", () -> layer.forward(f32(3, 16), null, f32(4, 16), null));
            rejects("y of wrong D", "\\by\\b", () -> layer.forward(f32(3, 16), null, f32(3, 15), null));
            rejects("stats for another E", "stat|expert", () -> layer.forward(f32(3, 16), null, y, new RoutingStats(5)));
            // The layer still works after rejecting bad calls.
            layer.forward(f32(3, 16), null, y, new RoutingStats(4));
        }
    }

    @Test
    void hashNeedsValidTokenIds() {
        try (MoeLayer layer = layer(HASH)) {
            Tensor x = f32(3, 16), y = f32(3, 16);
            rejects("hash without token ids", "token", () -> layer.forward(x, null, y, null));
            rejects("token ids of wrong length", "token", () -> layer.forward(x, ids(1, 2), y, null));
            rejects("token ids of dtype F32", "token", () -> layer.forward(x, f32(3), y, null));
            int v = HASH.vocab;
            rejects("token id = V", "(token|hash\\.table).*" + v + "|" + v + ".*(token|hash\\.table)",
                    () -> layer.forward(x, ids(0, v, 1), y, null));
            rejects("token id = -1", "(token|hash\\.table).*-1|-1.*(token|hash\\.table)",
                    () -> layer.forward(x, ids(0, 1, -1), y, null));
            layer.forward(x, ids(0, 1, v - 1), y, null);
        }
    }

    @Test
    void forwardAfterCloseIsIllegalState() {
        MoeLayer layer = layer(TOPK);
        Tensor x = f32(2, 16), y = f32(2, 16);
        layer.forward(x, null, y, null);
        layer.close();
        assertThrows(IllegalStateException.class, () -> layer.forward(x, null, y, null));
    }

    @Test
    void badLayersNameTheTensor() {
        List<String> problems = new ArrayList<>();
        check(problems, "experts.1.w2.weight of shape [D, F+1]", "experts\\.1\\.w2", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK);
            List<Expert> ex = new ArrayList<>(l.weights().experts());
            Expert e1 = ex.get(1);
            ex.set(1, new Expert(e1.w1(), e1.w3(), f32(16, 25), null, null));
            return create(l.config(), with(l.weights(), ex));
        });
        check(problems, "experts.2.w3.weight missing (swiglu)", "experts\\.2\\.w3", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK);
            List<Expert> ex = new ArrayList<>(l.weights().experts());
            Expert e2 = ex.get(2);
            ex.set(2, new Expert(e2.w1(), null, e2.w2(), null, null));
            return create(l.config(), with(l.weights(), ex));
        });
        check(problems, "router.weight of shape [E+1, D]", "router\\.weight", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK);
            MoeWeights w = l.weights();
            return create(l.config(), new MoeWeights(f32(5, 16), w.routerBias(), w.noise(), w.groupRouters(), w.phi(),
                    w.hashTable(), w.experts(), w.shared(), w.sharedGate(), w.cmrWeight(), w.cmrBias(), w.dense()));
        });
        check(problems, "router.weight missing (softmax_topk)", "router\\.weight", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK);
            MoeWeights w = l.weights();
            return create(l.config(), new MoeWeights(null, null, null, null, null, null, w.experts(), null, null, null, null, null));
        });
        check(problems, "3 experts for E = 4", "expert", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK);
            return create(l.config(), with(l.weights(), l.weights().experts().subList(0, 3)));
        });
        check(problems, "cmr.weight without cmr.bias", "cmr\\.bias", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK.copy().cmr(true, true));
            MoeWeights w = l.weights();
            return create(l.config(), new MoeWeights(w.router(), w.routerBias(), w.noise(), w.groupRouters(), w.phi(),
                    w.hashTable(), w.experts(), w.shared(), w.sharedGate(), w.cmrWeight(), null, w.dense()));
        });
        check(problems, "hash.table entry = E", "hash\\.table", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, HASH);
            l.weights().hashTable().setFloat(4, 3);
            MoeLayer layer = create(l.config(), l.weights());
            // Rejecting it at create time is best; at the latest the first call that meets it must reject it.
            Tensor ids = ids(3);
            layer.forward(f32(1, 16), ids, f32(1, 16), null);
            return layer;
        });
        check(problems, "noisy_topk with moe.noise = true and no router.noise.weight", "noise", spec -> {
            RandomLayers.Layer l = RandomLayers.build(arena, TOPK.copy().router(RouterKind.NOISY_TOPK).noise(true));
            MoeWeights w = l.weights();
            return create(l.config(), new MoeWeights(w.router(), w.routerBias(), null, w.groupRouters(), w.phi(),
                    w.hashTable(), w.experts(), w.shared(), w.sharedGate(), w.cmrWeight(), w.cmrBias(), w.dense()));
        });
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    interface Maker { MoeLayer make(Spec s); }

    private static void check(List<String> problems, String what, String names, Maker maker) {
        try {
            MoeLayer layer = maker.make(null);
            layer.close();
            problems.add(what + ": accepted");
        } catch (IllegalArgumentException e) {
            String msg = String.valueOf(e.getMessage());
            System.out.println(what + " -> " + msg);
            if (!Pattern.compile(names, Pattern.CASE_INSENSITIVE).matcher(msg).find()) {
                problems.add(what + ": the message should name /" + names + "/, got: " + msg);
            }
        } catch (RuntimeException e) {
            problems.add(what + ": " + e.getClass().getSimpleName() + " instead of IllegalArgumentException: " + e.getMessage());
        }
    }

    private static MoeLayer create(MoeConfig cfg, MoeWeights w) { return MoeLayer.create(backend, cfg, w); }

    private static MoeWeights with(MoeWeights w, List<Expert> experts) {
        return new MoeWeights(w.router(), w.routerBias(), w.noise(), w.groupRouters(), w.phi(), w.hashTable(), experts,
                w.shared(), w.sharedGate(), w.cmrWeight(), w.cmrBias(), w.dense());
    }

    static Tensor ids(int... v) {
        Tensor t = Tensor.allocate(arena, DType.I32, v.length);
        for (int i = 0; i < v.length; i++) t.setFloat(v[i], i);
        return t;
    }
}
