package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 activations over {@code n} contiguous elements: SiLU (and the SwiGLU product {@code silu(a)·b} of
 * Mixtral/DBRX experts), exact GELU {@code 0.5·x·(1 + erf(x/√2))}, ReLU, and erf itself. {@code out} may be the
 * same memory as an input (in place).
 *
 * <p>Why it is shaped this way: the Vector API has {@code EXP} (an intrinsic backed by SVML on x86) but no
 * {@code ERF}, so erf is computed here in float32 from two approximations fitted for this class (weighted least
 * squares on Chebyshev nodes in 40-digit arithmetic, then rounded to float):
 * <ul>
 *   <li>{@code |z| < 1}: {@code erf(z) = z + z·K(z²)}, K of degree 6 ({@code K(0) = 2/√π − 1}, so the final
 *       rounding is that of one addition to z);</li>
 *   <li>{@code 1 ≤ |z| ≤ 4}: {@code erfc(|z|) = exp(−z²)·R(t)}, {@code t = 1/(1 + |z|)}, R of degree 8
 *       (≈ erfcx, relative error 2e-10 before rounding); above 4, erfc is below half an ulp of 1 and taken as 0.</li>
 * </ul>
 * Measured against a double-precision reference: |error| ≤ 7e-8 (about one float ulp near 1) for erf. Both
 * pieces are computed for a vector whenever one of its lanes needs the second, and blended; GELU takes
 * {@code Φ(x) = ½·erfc(−x/√2)} from the erfc piece for negative x, so its left tail keeps relative accuracy instead
 * of cancelling in {@code 1 + erf}. Scalar tails use the same polynomials (with {@link Math#exp}), so a value's
 * result barely depends on where it falls. Vectors never cross a method call (see {@link Elementwise}); the
 * erf/GELU body is one method that loads and stores its own vector.
 *
 * <p>Special values follow the formulas in IEEE arithmetic, as torch's do: {@code silu(−∞) = −∞/∞ = NaN},
 * {@code gelu(−∞) = −∞·0 = NaN}; below about −88 SiLU gives −0 ({@code exp} overflows); NaN in gives NaN out.
 */
public final class Activations {
    private Activations() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

    // erf(z) = z + z·K(z²) on |z| < 1 (K0 = 2/√π − 1)
    private static final float K0 = 1.2837917e-01f, K1 = -3.7612626e-01f, K2 = 1.12835824e-01f,
            K3 = -2.6853692e-02f, K4 = 5.188099e-03f, K5 = -8.008189e-04f, K6 = 7.847259e-05f;
    // erfc(a) = exp(−a²)·R(1/(1 + a)) on 1 ≤ a ≤ 4
    private static final float R0 = 2.6588561e-05f, R1 = 5.632833e-01f, R2 = 5.7781804e-01f, R3 = 1.6374704e-01f,
            R4 = 3.6723194e-01f, R5 = -2.9971223e+00f, R6 = 4.798867e+00f, R7 = -3.4971108e+00f,
            R8 = 1.0340815e+00f;
    private static final float SPLIT = 1f, ERFC_ZERO = 4f;

    // ---- SiLU ----

    /** {@code out = x / (1 + exp(−x))}. */
    public static void silu(MemorySegment x, long xOffset, MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(F, x, xOffset + 4 * i, BO);
            v.div(VectorExp.exp(v.neg()).add(1f)).reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, silu(x.get(F32, xOffset + 4 * i)));
        }
    }

    /** {@code out = silu(a) · b} (the SwiGLU gate of Mixtral and DBRX experts). */
    public static void siluMul(MemorySegment a, long aOffset, MemorySegment b, long bOffset,
                               MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector va = FloatVector.fromMemorySegment(F, a, aOffset + 4 * i, BO);
            FloatVector vb = FloatVector.fromMemorySegment(F, b, bOffset + 4 * i, BO);
            va.div(VectorExp.exp(va.neg()).add(1f)).mul(vb)
                    .reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, silu(a.get(F32, aOffset + 4 * i)) * b.get(F32, bOffset + 4 * i));
        }
    }

    /** Scalar SiLU, as the tails compute it. */
    public static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    // ---- GELU / erf ----

    /** Exact (erf) GELU: {@code out = 0.5 · x · (1 + erf(x / √2))}. */
    public static void gelu(MemorySegment x, long xOffset, MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            erfOrGelu(x, xOffset + 4 * i, out, outOffset + 4 * i, true);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, gelu(x.get(F32, xOffset + 4 * i)));
        }
    }

    /** Scalar exact GELU, as the tails compute it. */
    public static float gelu(float x) {
        float z = x * INV_SQRT2;
        float a = Math.abs(z);
        float phi;
        if (a < SPLIT) {
            phi = 0.5f + 0.5f * erfSmall(z);
        } else {
            float e = erfcLarge(a);
            phi = z < 0 ? 0.5f * e : 1f - 0.5f * e;
        }
        return x * phi;
    }

    /** {@code out = erf(x)} in float32. */
    public static void erf(MemorySegment x, long xOffset, MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            erfOrGelu(x, xOffset + 4 * i, out, outOffset + 4 * i, false);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, erf(x.get(F32, xOffset + 4 * i)));
        }
    }

    /** Scalar float32 erf, as the tails compute it. */
    public static float erf(float z) {
        float a = Math.abs(z);
        if (a < SPLIT || Float.isNaN(z)) return erfSmall(z);
        float r = 1f - erfcLarge(a);
        return z < 0 ? -r : r;
    }

    /**
     * One vector of erf ({@code gelu == false}) or GELU ({@code gelu == true}): loads, computes and stores, so that
     * no vector crosses a call even if C2 does not inline this (it then costs a call, never an allocation).
     * For GELU it computes {@code x·Φ(x)}, with Φ from the erfc piece for {@code x/√2 ≤ −1}.
     */
    private static void erfOrGelu(MemorySegment x, long xOffset, MemorySegment out, long outOffset, boolean gelu) {
        FloatVector v = FloatVector.fromMemorySegment(F, x, xOffset, BO);
        FloatVector z = gelu ? v.mul(INV_SQRT2) : v;
        FloatVector a = z.abs();
        // |z| < 1: erf(z) = z + z·K(z²)
        FloatVector s = z.mul(z);
        FloatVector k = s.fma(K6, K5).fma(s, FloatVector.broadcast(F, K4)).fma(s, FloatVector.broadcast(F, K3))
                .fma(s, FloatVector.broadcast(F, K2)).fma(s, FloatVector.broadcast(F, K1))
                .fma(s, FloatVector.broadcast(F, K0));
        FloatVector r = z.fma(k, z);
        if (gelu) r = r.fma(0.5f, 0.5f); // Φ = ½ + ½·erf
        VectorMask<Float> large = a.compare(VectorOperators.GE, SPLIT);
        if (large.anyTrue()) {
            // 1 ≤ |z| ≤ 4: erfc(|z|) = exp(−z²)·R(1/(1 + |z|)); above 4 it is 0 (NaN stays NaN)
            FloatVector one = FloatVector.broadcast(F, 1f);
            FloatVector c = a.min(ERFC_ZERO);
            FloatVector t = one.div(c.add(1f));
            FloatVector p = t.fma(R8, R7).fma(t, FloatVector.broadcast(F, R6)).fma(t, FloatVector.broadcast(F, R5))
                    .fma(t, FloatVector.broadcast(F, R4)).fma(t, FloatVector.broadcast(F, R3))
                    .fma(t, FloatVector.broadcast(F, R2)).fma(t, FloatVector.broadcast(F, R1))
                    .fma(t, FloatVector.broadcast(F, R0));
            FloatVector erfc = VectorExp.exp(c.mul(c).neg()).mul(p)
                    .blend(0f, a.compare(VectorOperators.GT, ERFC_ZERO));
            VectorMask<Float> negative = z.compare(VectorOperators.LT, 0f);
            FloatVector big;
            if (gelu) {
                FloatVector half = erfc.mul(0.5f); // Φ = ½·erfc(|z|) for z < 0, 1 − ½·erfc(z) otherwise
                big = one.sub(half).blend(half, negative);
            } else {
                FloatVector e = one.sub(erfc);
                big = e.blend(e.neg(), negative);
            }
            r = r.blend(big, large);
        }
        (gelu ? v.mul(r) : r).reinterpretAsLongs().intoMemorySegment(out, outOffset, BO);
    }

    /** Scalar erf(z) for |z| < 1. */
    private static float erfSmall(float z) {
        float s = z * z;
        float k = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(K6, s, K5), s, K4), s, K3), s, K2), s, K1),
                s, K0);
        return Math.fma(z, k, z);
    }

    /** Scalar erfc(a) for 1 ≤ a ≤ 4, 0 above 4, NaN for NaN. */
    private static float erfcLarge(float a) {
        if (a > ERFC_ZERO) return 0f;
        float t = 1f / (1f + a);
        float r = Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(Math.fma(R8, t, R7), t, R6), t, R5),
                t, R4), t, R3), t, R2), t, R1), t, R0);
        return (float) Math.exp(-(a * a)) * r;
    }

    // ---- ReLU ----

    /** {@code out = max(x, 0)} (NaN stays NaN). */
    public static void relu(MemorySegment x, long xOffset, MemorySegment out, long outOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            FloatVector.fromMemorySegment(F, x, xOffset + 4 * i, BO).max(0f)
                    .reinterpretAsLongs().intoMemorySegment(out, outOffset + 4 * i, BO);
        }
        for (; i < n; i++) {
            out.set(F32, outOffset + 4 * i, Math.max(x.get(F32, xOffset + 4 * i), 0f));
        }
    }
}
