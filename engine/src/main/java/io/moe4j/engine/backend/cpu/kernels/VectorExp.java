package io.moe4j.engine.backend.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;

import static jdk.incubator.vector.VectorOperators.GT;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LT;
import static jdk.incubator.vector.VectorOperators.NE;

/**
 * {@code exp} of float lanes from plain vector arithmetic, within 2 ulp of {@link Math#exp} over the float range.
 *
 * <p>Why not {@code lanewise(EXP)}: the JDK computes that through a native vector math stub, and whether C2 reaches
 * the stub from a given compiled method is decided per compilation. On this AVX2 machine some compilations of
 * Softmax fell back to the Java implementation of EXP, which boxes every vector (1 KB of heap per call, caught
 * intermittently by NoAllocationTest). Multiplies, adds, FMAs and bit shifts are always intrinsified.
 *
 * <p>Method: Cody–Waite reduction {@code x = n·ln2 + r}, |r| ≤ ln2/2, n rounded to nearest with the 1.5·2²³ trick;
 * {@code e^r} by Cephes' degree-7 minimax polynomial; {@code 2ⁿ} assembled in the exponent bits.
 */
public final class VectorExp {
    // Package-private: Softmax writes the same steps out in its loop (see Softmax.expMinus for why).
    static final float LOG2E = 1.44269504088896341f;
    static final float LN2_HI = 0.693359375f;
    static final float LN2_LO = -2.12194440e-4f;
    static final float ROUND = 12582912f; // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    static final int ROUND_BITS = Float.floatToRawIntBits(ROUND);
    /** Above: e^x overflows to +∞. Below: e^x is under 2⁻¹²⁶ and we return 0 (no subnormals, as flush-to-zero). */
    static final float MAX_X = 88.3762626647949f;
    static final float MIN_X = -87.3365447505531f;
    /** Cephes' minimax coefficients of (e^r − 1 − r)/r², highest degree first. */
    static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
            P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    private VectorExp() {}

    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(MIN_X).min(MAX_X);
        FloatVector shifted = c.fma(LOG2E, ROUND);
        FloatVector n = shifted.sub(ROUND);
        FloatVector r = c.sub(n.mul(LN2_HI)).sub(n.mul(LN2_LO)); // n·LN2_HI is exact: LN2_HI has 9 significant bits
        FloatVector p = r.fma(P0, P1).mul(r).add(P2).mul(r).add(P3).mul(r).add(P4).mul(r).add(P5);
        FloatVector er = p.fma(r.mul(r), r).add(1f);
        // n sits in the low bits of `shifted` (as an integer offset from ROUND's bit pattern).
        IntVector bits = shifted.reinterpretAsInts().sub(ROUND_BITS).add(127).lanewise(LSHL, 23);
        FloatVector result = er.mul(bits.reinterpretAsFloats());
        VectorMask<Float> over = x.compare(GT, MAX_X);
        VectorMask<Float> under = x.compare(LT, MIN_X);
        result = result.blend(Float.POSITIVE_INFINITY, over).blend(0f, under);
        return result.blend(x, x.compare(NE, x)); // NaN ≠ NaN (test(IS_NAN) has no AVX2 intrinsic: it boxes)
    }
}
