package io.moe4j.engine.moe.reference;

import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.RoutingStats;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The comparison itself (no engine): a difference at a token whose routing was a near-tie is reported as a
 * near-tie, the same difference at a clearly routed token is a failure, and coupled batches (capacity) widen the
 * excuse to the whole batch.
 */
class CompareTest {

    @Test
    void nearTiesAreReportedNotHiddenAndRealErrorsFail() {
        for (boolean capacity : new boolean[] {false, true}) {
            try (Arena arena = Arena.ofConfined()) {
                RandomLayers.Spec spec = new RandomLayers.Spec().router(RouterKind.SOFTMAX_TOPK).size(16, 24, 4).k(1)
                        .capacity(capacity ? 4.0 : Double.NaN);
                RandomLayers.Layer l = RandomLayers.build(arena, spec);
                // Router rows 1 and 2 equal but for coordinate 0, where row 2 is larger by 1e-3; both dominate.
                for (int i = 0; i < spec.d; i++) {
                    float v = i == 0 ? 0 : 0.5f;
                    l.weights().router().setFloat(-v, 0, i);
                    l.weights().router().setFloat(v, 1, i);
                    l.weights().router().setFloat(v + (i == 0 ? 1e-3f : 0), 2, i);
                    l.weights().router().setFloat(-v, 3, i);
                }
                float[][] x = new float[2][spec.d];
                java.util.Arrays.fill(x[0], 1f);
                java.util.Arrays.fill(x[1], 1f);
                x[0][0] = 1e-3f;   // logit gap 1e-6: a near-tie
                x[1][0] = 1f;      // logit gap 1e-3: a clear decision
                NaiveMoe.Result r = new NaiveMoe(l.config(), l.weights()).forward(x, null);
                assertTrue(r.tokenGap[0] < NaiveMoe.TIE_GAP && r.tokenGap[1] > 1e-4, java.util.Arrays.toString(r.tokenGap));
                assertEquals(1, r.ties.size(), r.ties.toString());

                float[][] y = copy(r.y);
                assertTrue(Compare.check(r, y, null, Compare.Tolerance.ENGINE).ok());
                y[0][3] += 0.5f;   // the near-tie token differs
                Compare.Report rep = Compare.check(r, y, null, Compare.Tolerance.ENGINE);
                assertTrue(rep.ok(), rep.toString());
                assertEquals(1, rep.nearTies.size(), rep.toString());

                y = copy(r.y);
                y[1][3] += 0.5f;   // the clear token differs
                rep = Compare.check(r, y, null, Compare.Tolerance.ENGINE);
                if (capacity) {
                    assertTrue(rep.ok() && rep.nearTies.size() == 1, "coupled batch: excused as a near-tie, reported: " + rep);
                } else {
                    assertFalse(rep.ok(), "independent tokens: a real failure");
                }

                // Statistics: a wrong z_loss is never excused.
                RoutingStats st = new RoutingStats(4);
                for (int e = 0; e < 4; e++) st.addLoad(e, r.load[e]);
                st.setLosses(r.aux, r.z * 1.001, r.entropy);
                rep = Compare.check(r, copy(r.y), st, Compare.Tolerance.ENGINE);
                assertFalse(rep.ok(), rep.toString());
            }
        }
    }

    private static float[][] copy(double[][] y) {
        float[][] out = new float[y.length][];
        for (int t = 0; t < y.length; t++) {
            out[t] = new float[y[t].length];
            for (int i = 0; i < y[t].length; i++) out[t][i] = (float) y[t][i];
        }
        return out;
    }
}
