package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Activations against double references. erf and GELU use the high-precision double erf below (a positive-term
 * series for |x| ≤ 3, a continued fraction for erfc beyond), itself checked against 20-digit values. Tolerances:
 * erf ≤ 1e-7 absolute; GELU ≤ max(1e-6, 3e-7·|ref|) absolute (1e-6 near zero, a couple of float ulps for large
 * |x|); SiLU ≤ 5e-7 relative (float exp and division; 1e-30 absolute where exp(−x) overflows); ReLU exact.
 * Inputs: every size at aligned and unaligned offsets, a dense grid over [−10, 10], and special values (±0, ±∞,
 * NaN, subnormals, ±MAX).
 */
class ActivationsTest {
    private static final float[] SPECIAL = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
            Float.MIN_VALUE, -Float.MIN_VALUE, 1e-40f, -1e-40f, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
            1f, -1f, 1.4142135f, -1.4142135f, 1.4142137f, 4f, -4f, 5.656854f, -5.656854f, 5.657f, -5.657f, 88f, -88f,
            89f, -89f, 100f, -100f, 1e10f, -1e10f, 0.5f, -0.5f, 2.9999998f, 3f, -3f};
    private final Random random = new Random(3);

    interface Kernel { void run(MemorySegment x, long xo, MemorySegment o, long oo, long n); }

    interface Ref { double at(double x); }

    interface Tol { double at(double ref); }

    @Test
    void referenceErfIsAccurate() {
        double[][] known = {{0.1, 0.1124629160182848984}, {0.5, 0.52049987781304653768}, {1, 0.84270079294971486934},
                {1.5, 0.96610514647531072707}, {2, 0.99532226501895273416}, {3, 0.99997790950300141456},
                {4, 0.99999998458274209972}};
        for (double[] k : known) assertEquals(k[1], refErf(k[0]), 1e-15, "erf(" + k[0] + ")");
        double[][] knownC = {{3, 0.000022090496998585441373}, {4, 1.5417257900280018852e-8},
                {5, 1.5374597944280348502e-12}, {6, 2.1519736712498913117e-17}, {10, 2.088487583762544757e-45}};
        for (double[] k : knownC) assertEquals(k[1], refErfc(k[0]), 1e-14 * k[1], "erfc(" + k[0] + ")");
        assertEquals(-refErf(0.7), refErf(-0.7));
    }

    @Test
    void erf() {
        check("erf", Activations::erf, ActivationsTest::refErf, ref -> 1e-7);
    }

    @Test
    void gelu() {
        check("gelu", Activations::gelu, ActivationsTest::refGelu, ref -> Math.max(1e-6, 3e-7 * Math.abs(ref)));
    }

    @Test
    void silu() {
        check("silu", Activations::silu, x -> x / (1 + Math.exp(-x)), ref -> 5e-7 * Math.abs(ref) + 1e-30);
    }

    @Test
    void relu() {
        check("relu", Activations::relu, x -> Double.isNaN(x) ? Double.NaN : Math.max(x, 0), ref -> 0);
    }

    @Test
    void siluMul() {
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            float[] a = gaussian(random, n, 3, 0), b = gaussian(random, n, 1, 0);
            Buf ba = floats(arena, a, off), bb = floats(arena, b, off ^ 1), out = buffer(arena, 4L * n, off ^ 2);
            Activations.siluMul(ba.seg(), ba.off(), bb.seg(), bb.off(), out.seg(), out.off(), n);
            for (int i = 0; i < n; i++) {
                double ref = a[i] / (1 + Math.exp(-a[i])) * b[i];
                assertClose(ref, out.f(i), 6e-7 * Math.abs(ref) + 1e-30, where("siluMul", n, off, i));
            }
            out.assertGuardsIntact();
            Activations.siluMul(ba.seg(), ba.off(), bb.seg(), bb.off(), ba.seg(), ba.off(), n); // in place
            for (int i = 0; i < n; i++) assertEquals(out.f(i), ba.f(i), where("siluMul in place", n, off, i));
        }
    }

    @Test
    void scalarFormsAgreeWithReferences() {
        for (float x = -12f; x <= 12f; x += 0.00137f) {
            assertClose(refErf(x), Activations.erf(x), 1e-7, "erf(" + x + ")");
            double g = refGelu(x);
            assertClose(g, Activations.gelu(x), Math.max(1e-6, 3e-7 * Math.abs(g)), "gelu(" + x + ")");
            double s = x / (1 + Math.exp(-x));
            assertClose(s, Activations.silu(x), 5e-7 * Math.abs(s) + 1e-30, "silu(" + x + ")");
        }
        assertTrue(Float.isNaN(Activations.erf(Float.NaN)) && Float.isNaN(Activations.gelu(Float.NaN)));
        assertEquals(1f, Activations.erf(Float.POSITIVE_INFINITY));
        assertEquals(-1f, Activations.erf(Float.NEGATIVE_INFINITY));
    }

    private void check(String name, Kernel kernel, Ref ref, Tol tol) {
        // sizes × offsets, random inputs
        for (int n : SIZES) for (long off : OFFSETS) try (Arena arena = Arena.ofConfined()) {
            float[] x = gaussian(random, n, 3, 0);
            Buf bx = floats(arena, x, off), out = buffer(arena, 4L * n, off ^ 1);
            kernel.run(bx.seg(), bx.off(), out.seg(), out.off(), n);
            for (int i = 0; i < n; i++) {
                double r = ref.at(x[i]);
                assertClose(r, out.f(i), tol.at(r), where(name, n, off, i) + " x=" + x[i]);
            }
            out.assertGuardsIntact();
            kernel.run(bx.seg(), bx.off(), bx.seg(), bx.off(), n); // in place gives the same bits
            for (int i = 0; i < n; i++) assertEquals(out.f(i), bx.f(i), where(name + " in place", n, off, i));
        }
        // dense grid and special values, each also placed at every lane position of a vector
        float[] grid = new float[20001 + SPECIAL.length * 9];
        int j = 0;
        for (int k = 0; k <= 20000; k++) grid[j++] = -10f + k * 1e-3f;
        for (int shift = 0; shift < 9; shift++) for (float s : SPECIAL) grid[j++] = s;
        try (Arena arena = Arena.ofConfined()) {
            Buf bx = floats(arena, grid, 0), out = buffer(arena, 4L * grid.length, 0);
            kernel.run(bx.seg(), 0, out.seg(), 0, grid.length);
            for (int i = 0; i < grid.length; i++) {
                double r = ref.at(grid[i]);
                if (name.equals("gelu") && grid[i] == Float.NEGATIVE_INFINITY) r = Double.NaN; // x·Φ(x) = −∞·0
                assertClose(r, out.f(i), tol.at(r), name + " x=" + grid[i]);
            }
            out.assertGuardsIntact();
        }
    }

    // ---- double-precision references ----

    /** erf in double: positive-term series (no cancellation) for |x| ≤ 3, 1 − erfc beyond. */
    static double refErf(double x) {
        if (Double.isNaN(x)) return x;
        double a = Math.abs(x);
        if (a > 3) return Math.copySign(1 - refErfc(a), x);
        // erf(x) = 2/√π · e^{−x²} · Σ 2^n x^{2n+1} / (1·3·…·(2n+1))
        double term = a, sum = a;
        for (int n = 1; term > 1e-18 * sum; n++) {
            term *= 2 * a * a / (2 * n + 1);
            sum += term;
        }
        return Math.copySign(2 / Math.sqrt(Math.PI) * Math.exp(-a * a) * sum, x);
    }

    /** erfc in double for x ≥ 3: e^{−x²}/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), evaluated bottom-up. */
    static double refErfc(double x) {
        if (x == Double.POSITIVE_INFINITY) return 0;
        double f = x;
        for (int k = 200; k >= 1; k--) f = x + (k / 2.0) / f;
        return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
    }

    static double refGelu(double x) {
        if (Double.isNaN(x)) return x;
        if (x == Double.NEGATIVE_INFINITY) return Double.NaN;
        double z = x / Math.sqrt(2);
        double phi = z < -3 ? 0.5 * refErfc(-z) : 0.5 * (1 + refErf(z));
        return x * phi;
    }
}
