package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Top-k against a full stable sort (value descending, index ascending on ties, NaN after every number), compared
 * exactly (indices and value bits). Covers router shapes (8 experts top-2, 16 top-4), vocabulary-sized rows (the
 * vector skip path), heavy ties (values from a tiny set, ±0), NaN and ±∞, k = n, and sentinels after both outputs.
 */
class TopKTest {
    private final Random random = new Random(13);

    @Test
    void randomRows() {
        int[] ns = {1, 2, 7, 8, 16, 31, 64, 4096, 4097, 32000};
        for (int n : ns) for (int k : new int[] {1, 2, 4, 8, 40}) for (long off : OFFSETS) {
            if (k > n) continue;
            check(gaussian(random, n, 1, 0), k, off);
        }
        check(gaussian(random, 8, 1, 0), 8, 0); // k = n: a full sort
    }

    @Test
    void increasingAndDecreasingRows() {
        // increasing rows make every element enter the kept list (worst case for insertion)
        for (int n : new int[] {9, 100, 4097}) {
            float[] up = new float[n], down = new float[n];
            for (int i = 0; i < n; i++) {
                up[i] = i * 0.5f;
                down[i] = -i * 0.5f;
            }
            for (int k : new int[] {1, 3, 8}) {
                check(up, k, 0);
                check(down, k, 4);
            }
        }
    }

    @Test
    void tiesGoToTheLowerIndex() {
        for (int n : new int[] {8, 16, 33, 4097}) for (int k : new int[] {1, 2, 4, 7}) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = random.nextInt(3); // only 0, 1, 2: ties everywhere
            check(x, k, 3);
            for (int i = 0; i < n; i++) x[i] = random.nextBoolean() ? 0f : -0f; // ±0 compare equal
            check(x, k, 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            Buf x = floats(arena, new float[] {1f, 3f, 3f, 2f, 3f, 0f, 0f, 0f}, 0);
            Buf idx = buffer(arena, 16, 0), val = buffer(arena, 16, 0);
            TopK.topK(x.seg(), 0, 8, 4, idx.seg(), 0, val.seg(), 0);
            assertArrayEquals(new int[] {1, 2, 4, 3}, new int[] {idx.bits(0), idx.bits(1), idx.bits(2), idx.bits(3)});
            assertArrayEquals(new float[] {3f, 3f, 3f, 2f}, val.floats(4));
        }
    }

    @Test
    void nanIsSmallerThanEverything() {
        float nan = Float.NaN, inf = Float.POSITIVE_INFINITY, nInf = Float.NEGATIVE_INFINITY;
        check(new float[] {nan, 1f, nan, nInf, 2f, inf, nan, -3f}, 8, 0);
        check(new float[] {nan, 1f, nan, nInf, 2f, inf, nan, -3f}, 3, 0);
        check(new float[] {nan, nan, nan, nan, nan, nan, nan, nan, nan}, 4, 1);
        check(new float[] {nan, nInf, nan, nInf}, 4, 0);
        for (int n : new int[] {16, 4097}) {
            float[] x = gaussian(random, n, 1, 0);
            for (int i = 0; i < n; i += 3) x[i] = nan;
            check(x, 4, 0);
            check(x, Math.min(n, 8), 4);
            for (int i = 0; i < n; i++) if (i % 5 != 0) x[i] = nan; // fewer numbers than k, for k large
            check(x, Math.min(n, 40), 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            Buf x = floats(arena, new float[] {nan, nInf, nan, 0f}, 0);
            Buf idx = buffer(arena, 16, 0), val = buffer(arena, 16, 0);
            TopK.topK(x.seg(), 0, 4, 4, idx.seg(), 0, val.seg(), 0);
            assertArrayEquals(new int[] {3, 1, 0, 2}, new int[] {idx.bits(0), idx.bits(1), idx.bits(2), idx.bits(3)});
        }
    }

    @Test
    void badK() {
        try (Arena arena = Arena.ofConfined()) {
            Buf x = floats(arena, new float[4], 0), idx = buffer(arena, 32, 0), val = buffer(arena, 32, 0);
            assertThrows(IllegalArgumentException.class, () -> TopK.topK(x.seg(), 0, 4, 5, idx.seg(), 0, val.seg(), 0));
            assertThrows(IllegalArgumentException.class, () -> TopK.topK(x.seg(), 0, 4, -1, idx.seg(), 0, val.seg(),
                    0));
            TopK.topK(x.seg(), 0, 4, 0, idx.seg(), 0, val.seg(), 0); // k = 0 writes nothing
            Buf empty = buffer(arena, 0, 0);
            TopK.topK(x.seg(), 0, 4, 0, empty.seg(), 0, empty.seg(), 0);
            empty.assertGuardsIntact();
        }
    }

    private static void check(float[] row, int k, long off) {
        int n = row.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            float va = row[a], vb = row[b];
            boolean na = Float.isNaN(va), nb = Float.isNaN(vb);
            if (na != nb) return na ? 1 : -1;
            if (!na && va != vb) return va > vb ? -1 : 1;
            return Integer.compare(a, b); // equal values (±0 included) and NaNs: lower index first
        });
        try (Arena arena = Arena.ofConfined()) {
            Buf x = floats(arena, row, off);
            Buf idx = buffer(arena, 4L * k, off ^ 1), val = buffer(arena, 4L * k, (off + 4) % 8);
            TopK.topK(x.seg(), x.off(), n, k, idx.seg(), idx.off(), val.seg(), val.off());
            for (int j = 0; j < k; j++) {
                String what = "top-" + k + " of " + n + " off " + off + " rank " + j;
                assertEquals(order[j], idx.bits(j), what + " index");
                assertEquals(Float.floatToRawIntBits(row[order[j]]), val.bits(j), what + " value");
            }
            idx.assertGuardsIntact();
            val.assertGuardsIntact();
        }
    }
}
