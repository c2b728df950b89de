package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embedding, "rotate-half" form (Hugging Face Llama / Mixtral / DBRX): for each head of
 * {@code headDim} floats and each {@code i < rotaryDim/2}, with {@code h = rotaryDim/2},
 * <pre>
 *   out[i]     = x[i]·cos − x[i+h]·sin
 *   out[i + h] = x[i+h]·cos + x[i]·sin        (angle = position · inv_freq_i)
 * </pre>
 * Dimensions from {@code rotaryDim} to {@code headDim} (partial rotary) are copied unchanged. {@code heads} heads
 * of one token lie contiguously at {@code (x, xOffset)}; {@code out} may be the same memory (in place).
 *
 * <p>Why it is shaped this way: the angle is computed exactly as HF does in float32 — {@code inv_freq =
 * 1 / base^(float(2i)/dim)} in float32, {@code angle = float(position) · inv_freq} in float32, then cos and sin
 * rounded to float32 — because at long positions an angle computed in double would differ from the model's by up
 * to ~1e-3 rad. ({@code pow}, {@code cos}, {@code sin} are evaluated in double and rounded, i.e. correctly rounded
 * in practice, where torch's float versions are within an ulp.) Unlike HF we keep cos/sin and the rotation in
 * float32 rather than casting them to the model dtype. The on-the-fly {@link #apply(MemorySegment, long,
 * MemorySegment, long, int, int, int, int, double) apply} is scalar (one cos/sin per frequency, shared by all
 * heads) and is meant for prefill or tests; decoding uses a {@link RopeTable} and the vectorised
 * {@link #apply(RopeTable, MemorySegment, long, MemorySegment, long, int, int, int) apply}, which gives the same
 * bits.
 */
public final class Rope {
    private Rope() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** HF's float32 {@code inv_freq[i] = 1.0 / (base ** (arange(0, dim, 2).float() / dim))}. */
    public static float invFreq(int i, int rotaryDim, double theta) {
        float exponent = (float) (2 * i) / (float) rotaryDim;
        return 1f / (float) Math.pow((float) theta, exponent);
    }

    /** HF's float32 angle {@code float(position) · inv_freq}. */
    public static float angle(int position, float invFreq) {
        return (float) position * invFreq;
    }

    static float cos(float angle) { return (float) Math.cos(angle); }

    static float sin(float angle) { return (float) Math.sin(angle); }

    /** Full rotary embedding ({@code rotaryDim = headDim}), cos/sin computed on the fly. */
    public static void apply(MemorySegment x, long xOffset, MemorySegment out, long outOffset,
                             int heads, int headDim, int position, double theta) {
        apply(x, xOffset, out, outOffset, heads, headDim, headDim, position, theta);
    }

    /** Rotary embedding of the first {@code rotaryDim} dims of each head, cos/sin computed on the fly. */
    public static void apply(MemorySegment x, long xOffset, MemorySegment out, long outOffset,
                             int heads, int headDim, int rotaryDim, int position, double theta) {
        check(headDim, rotaryDim);
        int half = rotaryDim / 2;
        for (int i = 0; i < half; i++) {
            float angle = angle(position, invFreq(i, rotaryDim, theta));
            float c = cos(angle), s = sin(angle);
            for (int h = 0; h < heads; h++) {
                long xo = xOffset + 4L * ((long) h * headDim + i);
                long oo = outOffset + 4L * ((long) h * headDim + i);
                float a = x.get(F32, xo), b = x.get(F32, xo + 4L * half);
                out.set(F32, oo, a * c - b * s);
                out.set(F32, oo + 4L * half, b * c + a * s);
            }
        }
        copyPassThrough(x, xOffset, out, outOffset, heads, headDim, rotaryDim);
    }

    /** Rotary embedding with cos/sin from {@code table} (its rotary dim, at most {@code headDim}). */
    public static void apply(RopeTable table, MemorySegment x, long xOffset, MemorySegment out, long outOffset,
                             int heads, int headDim, int position) {
        int rotaryDim = table.rotaryDim();
        check(headDim, rotaryDim);
        int half = rotaryDim / 2;
        MemorySegment t = table.segment();
        long cosOff = table.rowOffset(position);
        long sinOff = cosOff + 4L * half;
        for (int h = 0; h < heads; h++) {
            long xo = xOffset + 4L * h * headDim;
            long oo = outOffset + 4L * h * headDim;
            int i = 0;
            for (int bound = half & -L; i < bound; i += L) {
                long d = 4L * i;
                FloatVector c = FloatVector.fromMemorySegment(F, t, cosOff + d, BO);
                FloatVector s = FloatVector.fromMemorySegment(F, t, sinOff + d, BO);
                FloatVector a = FloatVector.fromMemorySegment(F, x, xo + d, BO);
                FloatVector b = FloatVector.fromMemorySegment(F, x, xo + d + 4L * half, BO);
                a.mul(c).sub(b.mul(s)).reinterpretAsLongs().intoMemorySegment(out, oo + d, BO);
                b.mul(c).add(a.mul(s)).reinterpretAsLongs().intoMemorySegment(out, oo + d + 4L * half, BO);
            }
            for (; i < half; i++) {
                long d = 4L * i;
                float c = t.get(F32, cosOff + d), s = t.get(F32, sinOff + d);
                float a = x.get(F32, xo + d), b = x.get(F32, xo + d + 4L * half);
                out.set(F32, oo + d, a * c - b * s);
                out.set(F32, oo + d + 4L * half, b * c + a * s);
            }
        }
        copyPassThrough(x, xOffset, out, outOffset, heads, headDim, rotaryDim);
    }

    private static void copyPassThrough(MemorySegment x, long xOffset, MemorySegment out, long outOffset,
                                        int heads, int headDim, int rotaryDim) {
        if (rotaryDim == headDim) return;
        for (int h = 0; h < heads; h++) {
            long e = (long) h * headDim + rotaryDim;
            MemorySegment.copy(x, xOffset + 4 * e, out, outOffset + 4 * e, 4L * (headDim - rotaryDim));
        }
    }

    private static void check(int headDim, int rotaryDim) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0 || rotaryDim > headDim) {
            throw new IllegalArgumentException("rotary dim " + rotaryDim + " for head dim " + headDim);
        }
    }
}
