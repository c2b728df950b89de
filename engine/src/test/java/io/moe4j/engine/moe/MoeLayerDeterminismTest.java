package io.moe4j.engine.moe;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.reference.RandomLayers;
import io.moe4j.engine.moe.reference.RandomLayers.Spec;
import io.moe4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bit-reproducibility: the same y (every bit) and statistics whatever the backend's thread count, and when several
 * threads call one layer at once with their own inputs as when they call one after the other.
 */
class MoeLayerDeterminismTest {

    static List<Spec> specs() {
        return List.of(
                new Spec().name("topk k2 F32").router(RouterKind.SOFTMAX_TOPK).size(64, 96, 8).k(2),
                new Spec().name("topk k2 BF16").router(RouterKind.SOFTMAX_TOPK).size(64, 96, 8).k(2).dtype(DType.BF16),
                new Spec().name("switch k1 cap1.0 F16").router(RouterKind.SWITCH).size(48, 24, 16).k(1)
                        .normalize(Normalize.NONE).capacity(1.0).dtype(DType.F16),
                new Spec().name("expert_choice").router(RouterKind.EXPERT_CHOICE).size(48, 96, 8).k(2),
                new Spec().name("soft S2").router(RouterKind.SOFT).size(16, 24, 4).slots(2),
                new Spec().name("hierarchical G4 gk2 k1").router(RouterKind.HIERARCHICAL).size(64, 24, 16).groups(4, 2).k(1),
                new Spec().name("hash +shared").router(RouterKind.HASH).size(48, 96, 8).shared(1, true),
                new Spec().name("noisy noise=on").router(RouterKind.NOISY_TOPK).size(48, 24, 8).k(2).noise(true));
    }

    record Out(float[][] y, long[] loads, long dropped, double aux, double z, double entropy) {
        static Out of(float[][] y, RoutingStats s) {
            return new Out(y, s.expertLoads(), s.dropped(), s.auxLoss(), s.zLoss(), s.entropy());
        }

        String diff(Out o) {
            if (!Arrays.deepEquals(y, o.y)) {
                double worst = 0;
                for (int t = 0; t < y.length; t++) for (int i = 0; i < y[t].length; i++) worst = Math.max(worst, Math.abs(y[t][i] - o.y[t][i]));
                return "y differs (max |diff| " + worst + ")";
            }
            if (!Arrays.equals(loads, o.loads) || dropped != o.dropped) return "loads differ";
            if (Double.compare(aux, o.aux) != 0 || Double.compare(z, o.z) != 0 || Double.compare(entropy, o.entropy) != 0) {
                return "losses differ: " + aux + "/" + z + "/" + entropy + " vs " + o.aux + "/" + o.z + "/" + o.entropy;
            }
            return null;
        }
    }

    static final int[] TOKENS = {1, 5, 33};

    @Test
    void oneThreadAndTwoThreadsGiveTheSameBits() {
        List<String> failures = new ArrayList<>();
        try (CpuBackend one = CpuBackend.create(1); CpuBackend two = CpuBackend.create(2)) {
            for (Spec s : specs()) {
                try (Arena arena = Arena.ofShared()) {
                    RandomLayers.Layer l = RandomLayers.build(arena, s);
                    try (MoeLayer a = MoeLayer.create(one, l.config(), l.weights());
                         MoeLayer b = MoeLayer.create(two, l.config(), l.weights())) {
                        SplittableRandom rnd = new SplittableRandom(9);
                        for (int t : TOKENS) {
                            float[][] x = RandomLayers.tokens(rnd, t, s.d);
                            int[] ids = s.router == RouterKind.HASH ? RandomLayers.tokenIds(rnd, t, s.vocab) : null;
                            RoutingStats sa = new RoutingStats(s.e), sb = new RoutingStats(s.e);
                            Out oa = Out.of(LayerRunner.forward(a, arena, x, ids, sa), sa);
                            Out ob = Out.of(LayerRunner.forward(b, arena, x, ids, sb), sb);
                            String d = oa.diff(ob);
                            if (d != null) failures.add(s.name + " T=" + t + ": 1 vs 2 threads: " + d);
                        }
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Routers without randomness (whose result does not depend on the call index). */
    @Test
    void concurrentCallersGetTheSequentialResults() throws Exception {
        int threads = 4, rounds = 15;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        try (CpuBackend backend = CpuBackend.create(2)) {
            for (Spec s : specs()) {
                if (s.router == RouterKind.NOISY_TOPK) continue;
                try (Arena arena = Arena.ofShared()) {
                    RandomLayers.Layer l = RandomLayers.build(arena, s);
                    try (MoeLayer layer = MoeLayer.create(backend, l.config(), l.weights())) {
                        SplittableRandom rnd = new SplittableRandom(17);
                        float[][][] xs = new float[threads][][];
                        int[][] ids = new int[threads][];
                        Out[] expected = new Out[threads];
                        for (int i = 0; i < threads; i++) {
                            int t = new int[] {1, 3, 16, 33}[i];
                            xs[i] = RandomLayers.tokens(rnd, t, s.d);
                            ids[i] = s.router == RouterKind.HASH ? RandomLayers.tokenIds(rnd, t, s.vocab) : null;
                            RoutingStats st = new RoutingStats(s.e);
                            expected[i] = Out.of(LayerRunner.forward(layer, arena, xs[i], ids[i], st), st);
                        }
                        CyclicBarrier barrier = new CyclicBarrier(threads);
                        List<Thread> workers = new ArrayList<>();
                        for (int i = 0; i < threads; i++) {
                            int me = i;
                            workers.add(Thread.ofPlatform().start(() -> {
                                try {
                                    var x = LayerRunner.x(arena, xs[me]);
                                    var tid = LayerRunner.ids(arena, ids[me]);
                                    var y = LayerRunner.poisonedY(arena, xs[me].length, s.d);
                                    RoutingStats st = new RoutingStats(s.e);
                                    barrier.await();
                                    for (int r = 0; r < rounds; r++) {
                                        y.segment().fill((byte) 0xFF);
                                        layer.forward(x, tid, y, st);
                                        String d = expected[me].diff(Out.of(LayerRunner.rows(y), st));
                                        if (d != null) {
                                            failures.add(s.name + " thread " + me + " (T=" + xs[me].length + ") round " + r + ": " + d);
                                            break;
                                        }
                                    }
                                } catch (Throwable e) {
                                    failures.add(s.name + " thread " + me + ": " + e);
                                }
                            }));
                        }
                        for (Thread w : workers) w.join();
                    }
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
