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
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5·2²³: adding it rounds to an integer in the low mantissa bits
    /** Above: e^x overflows to +∞. Below: e^x is under 2⁻¹²⁶ and we return 0 (no subnormals, as flush-to-zero). */
    private static final float MAX_X = 88.3762626647949f;
    private static final float MIN_X = -87.3365447505531f;

    private VectorExp() {}

    public static FloatVector exp(FloatVector x) {
        FloatVector c = x.max(MIN_X).min(MAX_X);
        FloatVector shifted = c.fma(FloatVector.broadcast(c.species(), LOG2E), FloatVector.broadcast(c.species(), ROUND));
        FloatVector n = shifted.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(c.species(), -LN2_HI), c);
        r = n.fma(FloatVector.broadcast(c.species(), -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(c.species(), 1.9875691500e-4f);
        p = p.fma(r, FloatVector.broadcast(c.species(), 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(c.species(), 5.0000001201e-1f));
        FloatVector er = p.fma(r.mul(r), r).add(1f);
        // n sits in the low bits of `shifted` (as an integer offset from ROUND's bit pattern).
        IntVector bits = shifted.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND)).add(127).lanewise(LSHL, 23);
        FloatVector result = er.mul(bits.reinterpretAsFloats());
        VectorMask<Float> over = x.compare(GT, MAX_X);
        VectorMask<Float> under = x.compare(LT, MIN_X);
        result = result.blend(Float.POSITIVE_INFINITY, over).blend(0f, under);
        return result.blend(x, x.compare(NE, x)); // NaN ≠ NaN (test(IS_NAN) has no AVX2 intrinsic: it boxes)
    }
}
