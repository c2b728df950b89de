package io.moe4j.engine.backend.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link VectorExp} against {@link Math#exp} rounded to float, over every float exponent it can meet. */
class VectorExpTest {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Test
    void withinTwoUlpOverTheNormalRange() {
        float[] in = new float[F.length()];
        float[] out = new float[F.length()];
        double worst = 0;
        float worstX = 0;
        // Every 97th float bit pattern between −87.33 and 88.37: about 10⁷ values, all exponents and mantissas.
        int from = Float.floatToRawIntBits(-87.33f), to = Float.floatToRawIntBits(88.37f);
        java.util.List<Float> xs = new java.util.ArrayList<>();
        for (int b = from; b >= 0x80000000 && b <= from; b -= 97) xs.add(Float.intBitsToFloat(b)); // negatives, |x| shrinking
        for (int b = 0; b <= to; b += 97) xs.add(Float.intBitsToFloat(b));
        for (int i = 0; i + F.length() <= xs.size(); i += F.length()) {
            for (int j = 0; j < F.length(); j++) in[j] = xs.get(i + j);
            VectorExp.exp(FloatVector.fromArray(F, in, 0)).intoArray(out, 0);
            for (int j = 0; j < F.length(); j++) {
                float expected = (float) Math.exp(in[j]);
                double ulps = Math.abs(out[j] - expected) / Math.ulp(expected);
                if (ulps > worst) {
                    worst = ulps;
                    worstX = in[j];
                }
            }
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp at x = " + worstX);
    }

    @Test
    void edges() {
        float[] in = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 100f, -100f, 0f, -0f, 1f};
        float[] expected = {Float.NaN, Float.POSITIVE_INFINITY, 0f, Float.POSITIVE_INFINITY, 0f, 1f, 1f, (float) Math.E};
        float[] padded = new float[Math.max(in.length, F.length()) + F.length()];
        System.arraycopy(in, 0, padded, 0, in.length);
        float[] out = new float[padded.length];
        for (int i = 0; i < in.length; i += F.length()) VectorExp.exp(FloatVector.fromArray(F, padded, i)).intoArray(out, i);
        for (int i = 0; i < in.length; i++) {
            if (Float.isNaN(expected[i]) || Float.isInfinite(expected[i]) || expected[i] == 0) {
                assertEquals(expected[i], out[i], "exp(" + in[i] + ")");
            } else {
                assertEquals(expected[i], out[i], Math.ulp(expected[i]) * 2, "exp(" + in[i] + ")");
            }
        }
    }
}
