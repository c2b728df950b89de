package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The {@code k} largest elements of a float32 row of {@code n}: router expert selection (n = 8 or 16 experts,
 * k = 2 or 4) and top-k sampling over a vocabulary.
 *
 * <p>Order: descending by value; equal values (including {@code −0.0} and {@code +0.0}, which compare equal) keep
 * the lower index first, as a stable sort would. NaN counts as smaller than every number, {@code −∞} included, so
 * NaNs are only chosen when fewer than {@code k} elements are numbers, and then in index order.
 *
 * <p>Why it is shaped this way: k is small, so the result is kept sorted in the caller's output segments
 * (I32 indices, F32 values — off-heap scratch, no Java arrays) by insertion. Elements are visited in index order
 * and an element only displaces kept ones it is strictly greater than, which gives the tie rule for free. Once k
 * elements are kept, whole vectors whose lanes are all {@code ≤} the k-th value are skipped with one compare, so a
 * long row (a vocabulary) costs about one vector pass.
 */
public final class TopK {
    private TopK() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /**
     * Writes the indices ({@code int}) and values ({@code float}) of the {@code k} largest of the {@code n} floats at
     * {@code (x, xOffset)} to {@code (indices, indicesOffset)} and {@code (values, valuesOffset)}, sorted descending.
     *
     * @throws IllegalArgumentException unless {@code 0 <= k <= n}
     */
    public static void topK(MemorySegment x, long xOffset, int n, int k,
                            MemorySegment indices, long indicesOffset, MemorySegment values, long valuesOffset) {
        if (k < 0 || k > n) throw new IllegalArgumentException("top-" + k + " of " + n + " elements");
        if (k == 0) return;
        int kept = 0;
        float kth = Float.NaN; // value of the last kept element, once kept == k
        int i = 0;
        while (i < n) {
            if (kept == k && !Float.isNaN(kth) && i + L <= n) {
                // nothing in this vector can enter unless some lane is strictly greater than the k-th value
                if (!FloatVector.fromMemorySegment(F, x, xOffset + 4L * i, BO)
                        .compare(VectorOperators.GT, kth).anyTrue()) {
                    i += L;
                    continue;
                }
                for (int end = i + L; i < end; i++) {
                    offer(x.get(F32, xOffset + 4L * i), i, k, k, indices, indicesOffset, values, valuesOffset);
                }
                kth = values.get(F32, valuesOffset + 4L * (k - 1));
                continue;
            }
            kept = offer(x.get(F32, xOffset + 4L * i), i, kept, k, indices, indicesOffset, values, valuesOffset);
            if (kept == k) kth = values.get(F32, valuesOffset + 4L * (k - 1));
            i++;
        }
    }

    /** Inserts {@code (v, index)} into the sorted kept list if it belongs there; returns the new kept count. */
    private static int offer(float v, int index, int kept, int k,
                             MemorySegment indices, long iOff, MemorySegment values, long vOff) {
        int pos = kept;
        if (kept == k) {
            if (!beats(v, values.get(F32, vOff + 4L * (k - 1)))) return kept;
            pos = k - 1; // the last one drops out
        }
        while (pos > 0) {
            float w = values.get(F32, vOff + 4L * (pos - 1));
            if (!beats(v, w)) break;
            values.set(F32, vOff + 4L * pos, w);
            indices.set(I32, iOff + 4L * pos, indices.get(I32, iOff + 4L * (pos - 1)));
            pos--;
        }
        values.set(F32, vOff + 4L * pos, v);
        indices.set(I32, iOff + 4L * pos, index);
        return kept == k ? k : kept + 1;
    }

    /** Whether a later element {@code v} ranks before a kept {@code w}: strictly greater, NaN below everything. */
    private static boolean beats(float v, float w) {
        return v > w || (Float.isNaN(w) && !Float.isNaN(v));
    }
}
