package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * RoPE against a double reference that follows Hugging Face's float32 recipe for the angle (float32 inv_freq,
 * float32 {@code position · inv_freq}) and then rotates in double: within 1e-5 absolute for N(0, 1) inputs.
 * Shapes: Mixtral (32 query / 8 KV heads of 128, theta 1e6), DBRX (48 / 8 heads of 128, theta 5e5), small and
 * odd heads (vector tails), partial rotary. The table path must give exactly the on-the-fly path's bits.
 */
class RopeTest {
    private final Random random = new Random(17);

    @Test
    void invFreqFollowsHuggingFace() {
        // 1.0 / (base ** (arange(0, dim, 2).float() / dim)) in float32
        for (double theta : new double[] {10000, 500000, 1e6}) {
            for (int i = 0; i < 64; i++) {
                float e = (float) (2 * i) / 128f;
                double exact = 1 / Math.pow(theta, 2.0 * i / 128);
                float f = Rope.invFreq(i, 128, theta);
                assertEquals(1f / (float) Math.pow((float) theta, e), f);
                assertEquals(exact, f, 1e-6 * exact);
            }
        }
        assertEquals(1f, Rope.invFreq(0, 128, 1e6));
    }

    @Test
    void onTheFlyAgainstReference() {
        // {heads, head dim, rotary dim}
        int[][] shapes = {{32, 128, 128}, {8, 128, 128}, {48, 128, 128}, {1, 2, 2}, {3, 14, 14}, {2, 64, 64},
                {4, 128, 64}, {2, 30, 18}};
        int[] positions = {0, 1, 7, 4095, 32767, 131071};
        double[] thetas = {1e6, 5e5};
        for (int[] s : shapes) for (int p : positions) for (double theta : thetas) for (long off : OFFSETS) {
            int heads = s[0], hd = s[1], rd = s[2];
            float[] x = gaussian(random, heads * hd, 1, 0);
            try (Arena arena = Arena.ofConfined()) {
                Buf bx = floats(arena, x, off), out = buffer(arena, 4L * x.length, off ^ 1);
                Rope.apply(bx.seg(), bx.off(), out.seg(), out.off(), heads, hd, rd, p, theta);
                checkAgainstReference(x, out, heads, hd, rd, p, theta, "heads " + heads + " hd " + hd + " rd " + rd
                        + " pos " + p);
                out.assertGuardsIntact();
                if (rd == hd) { // the full-rotary overload is the same
                    Buf out2 = buffer(arena, 4L * x.length, 0);
                    Rope.apply(bx.seg(), bx.off(), out2.seg(), 0, heads, hd, p, theta);
                    for (int i = 0; i < x.length; i++) assertEquals(out.f(i), out2.f(i));
                }
            }
        }
    }

    @Test
    void tableGivesTheSameBitsAsOnTheFly() {
        int[][] shapes = {{32, 128, 128}, {48, 128, 128}, {3, 14, 14}, {4, 128, 64}, {2, 30, 18}, {1, 2, 2}};
        for (int[] s : shapes) for (double theta : new double[] {1e6, 5e5}) try (Arena arena = Arena.ofConfined()) {
            int heads = s[0], hd = s[1], rd = s[2];
            RopeTable table = RopeTable.create(arena, rd, 4100, theta);
            assertEquals(rd, table.rotaryDim());
            assertEquals(4100, table.maxPositions());
            for (int p : new int[] {0, 1, 2, 63, 1000, 4096, 4099}) for (long off : OFFSETS) {
                float[] x = gaussian(random, heads * hd, 1, 0);
                Buf bx = floats(arena, x, off), a = buffer(arena, 4L * x.length, off), b = buffer(arena, 4L * x.length,
                        off ^ 3);
                Rope.apply(bx.seg(), bx.off(), a.seg(), a.off(), heads, hd, rd, p, theta);
                Rope.apply(table, bx.seg(), bx.off(), b.seg(), b.off(), heads, hd, p);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(a.bits(i), b.bits(i), "table vs on the fly, heads " + heads + " hd " + hd + " pos "
                            + p + " i " + i);
                }
                b.assertGuardsIntact();
                Rope.apply(table, bx.seg(), bx.off(), bx.seg(), bx.off(), heads, hd, p); // in place
                for (int i = 0; i < x.length; i++) assertEquals(a.bits(i), bx.bits(i), "in place");
                bx.assertGuardsIntact();
            }
            for (int i = 0; i < rd / 2; i++) {
                float angle = Rope.angle(4099, Rope.invFreq(i, rd, theta));
                assertEquals((float) Math.cos(angle), table.cos(4099, i));
                assertEquals((float) Math.sin(angle), table.sin(4099, i));
            }
        }
    }

    @Test
    void positionZeroIsIdentityAndTableBoundsAreChecked() {
        try (Arena arena = Arena.ofConfined()) {
            float[] x = gaussian(random, 8 * 128, 1, 0);
            Buf bx = floats(arena, x, 0), out = buffer(arena, 4L * x.length, 0);
            RopeTable table = RopeTable.create(arena, 128, 16, 1e6);
            Rope.apply(table, bx.seg(), 0, out.seg(), 0, 8, 128, 0);
            for (int i = 0; i < x.length; i++) assertEquals(x[i], out.f(i));
            MemorySegment xs = bx.seg(), os = out.seg();
            assertThrows(IndexOutOfBoundsException.class, () -> Rope.apply(table, xs, 0, os, 0, 8, 128, 16));
            assertThrows(IndexOutOfBoundsException.class, () -> Rope.apply(table, xs, 0, os, 0, 8, 128, -1));
            assertThrows(IllegalArgumentException.class, () -> Rope.apply(table, xs, 0, os, 0, 8, 64, 1));
            assertThrows(IllegalArgumentException.class, () -> Rope.apply(xs, 0, os, 0, 8, 128, 127, 1, 1e6));
            assertThrows(IllegalArgumentException.class, () -> RopeTable.create(arena, 7, 16, 1e6));
        }
    }

    private static void checkAgainstReference(float[] x, Buf out, int heads, int hd, int rd, int p, double theta,
            String what) {
        int half = rd / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                // HF: inv_freq and the angle in float32
                float invFreq = 1f / (float) Math.pow((float) theta, (float) (2 * i) / (float) rd);
                double angle = (float) p * invFreq;
                double c = Math.cos(angle), s = Math.sin(angle);
                double a = x[h * hd + i], b = x[h * hd + i + half];
                assertClose(a * c - b * s, out.f(h * hd + i), 1e-5, what + " head " + h + " i " + i);
                assertClose(b * c + a * s, out.f(h * hd + i + half), 1e-5, what + " head " + h + " i " + (i + half));
            }
            for (int i = rd; i < hd; i++) assertEquals(x[h * hd + i], out.f(h * hd + i), what + " pass-through " + i);
        }
    }
}
