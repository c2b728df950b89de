package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Element-wise kernels against double references. add / mul / scale round once, so they must equal the double
 * result rounded to float exactly; axpy is one fused multiply-add (within 1 ulp of the double reference, which
 * may round twice); dot and sum are float32 reductions, held to {@code 1e-5 · Σ|terms|} (a rigorous bound for
 * ≤ 160 sequential float additions per accumulator at n = 6144). Every size, at aligned and unaligned offsets,
 * with sentinels around every output.
 */
class ElementwiseTest {
    private final Random random = new Random(7);

    @Test
    void add() {
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            float[] a = gaussian(random, n, 10, 0), b = gaussian(random, n, 10, 0);
            Buf ba = floats(arena, a, off), bb = floats(arena, b, (off + 4) % 8), out = buffer(arena, 4L * n, off ^ 1);
            Elementwise.add(ba.seg(), ba.off(), bb.seg(), bb.off(), out.seg(), out.off(), n);
            for (int i = 0; i < n; i++) assertEquals((float) ((double) a[i] + b[i]), out.f(i), where("add", n, off, i));
            out.assertGuardsIntact();
            // in place
            Elementwise.addInPlace(ba.seg(), ba.off(), bb.seg(), bb.off(), n);
            for (int i = 0; i < n; i++) assertEquals((float) ((double) a[i] + b[i]), ba.f(i), where("addInPlace", n,
                    off, i));
            ba.assertGuardsIntact();
        }
    }

    @Test
    void mulAndScale() {
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            float[] a = gaussian(random, n, 10, 0), b = gaussian(random, n, 10, 0);
            Buf ba = floats(arena, a, off), bb = floats(arena, b, 4), out = buffer(arena, 4L * n, off);
            Elementwise.mul(ba.seg(), ba.off(), bb.seg(), bb.off(), out.seg(), out.off(), n);
            for (int i = 0; i < n; i++) assertEquals((float) ((double) a[i] * b[i]), out.f(i), where("mul", n, off, i));
            out.assertGuardsIntact();
            float s = -0.3183099f;
            Elementwise.scale(ba.seg(), ba.off(), s, out.seg(), out.off(), n);
            for (int i = 0; i < n; i++) assertEquals((float) ((double) s * a[i]), out.f(i), where("scale", n, off, i));
            Elementwise.scale(ba.seg(), ba.off(), s, ba.seg(), ba.off(), n); // in place
            for (int i = 0; i < n; i++) assertEquals((float) ((double) s * a[i]), ba.f(i), where("scale in place", n,
                    off, i));
            out.assertGuardsIntact();
            ba.assertGuardsIntact();
        }
    }

    @Test
    void axpy() {
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            float[] x = gaussian(random, n, 1, 0), y = gaussian(random, n, 1, 0);
            float s = 0.7236f;
            Buf bx = floats(arena, x, off), by = floats(arena, y, off ^ 1);
            Elementwise.axpy(s, bx.seg(), bx.off(), by.seg(), by.off(), n);
            for (int i = 0; i < n; i++) {
                double ref = (double) s * x[i] + y[i];
                assertClose(ref, by.f(i), Math.ulp((float) ref), where("axpy", n, off, i));
            }
            by.assertGuardsIntact();
        }
    }

    @Test
    void fillAndZero() {
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            Buf out = buffer(arena, 4L * n, off);
            Elementwise.fill(out.seg(), out.off(), -2.5f, n);
            for (int i = 0; i < n; i++) assertEquals(-2.5f, out.f(i), where("fill", n, off, i));
            Elementwise.zero(out.seg(), out.off(), n);
            for (int i = 0; i < n; i++) assertEquals(0, out.bits(i), where("zero", n, off, i));
            out.assertGuardsIntact();
        }
    }

    @Test
    void dotAndSum() {
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            float[] a = gaussian(random, n, 1, 0.5), b = gaussian(random, n, 1, 0);
            Buf ba = floats(arena, a, off), bb = floats(arena, b, off ^ 3);
            double ref = 0, mag = 0, sum = 0, sumMag = 0;
            for (int i = 0; i < n; i++) {
                ref += (double) a[i] * b[i];
                mag += Math.abs((double) a[i] * b[i]);
                sum += a[i];
                sumMag += Math.abs(a[i]);
            }
            assertClose(ref, Elementwise.dot(ba.seg(), ba.off(), bb.seg(), bb.off(), n), 1e-5 * mag, where("dot", n,
                    off, -1));
            assertClose(sum, Elementwise.sum(ba.seg(), ba.off(), n), 1e-5 * sumMag, where("sum", n, off, -1));
        }
    }

    @Test
    void specialValuesPropagate() {
        try (Arena arena = Arena.ofConfined()) {
            float[] a = {Float.NaN, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 1f, -0f, 0f, 3f, 4f, Float.NaN};
            float[] b = {1f, Float.NEGATIVE_INFINITY, 1f, Float.NaN, -0f, -0f, 1e38f, 1e-45f, 2f};
            Buf ba = floats(arena, a, 0), bb = floats(arena, b, 0), out = buffer(arena, 4L * a.length, 0);
            Elementwise.add(ba.seg(), 0, bb.seg(), 0, out.seg(), 0, a.length);
            for (int i = 0; i < a.length; i++) assertEquals(a[i] + b[i], out.f(i), "add " + i);
            Elementwise.mul(ba.seg(), 0, bb.seg(), 0, out.seg(), 0, a.length);
            for (int i = 0; i < a.length; i++) assertEquals(a[i] * b[i], out.f(i), "mul " + i);
            assertEquals(Float.NaN, Elementwise.dot(ba.seg(), 0, bb.seg(), 0, a.length));
            out.assertGuardsIntact();
        }
    }
}
