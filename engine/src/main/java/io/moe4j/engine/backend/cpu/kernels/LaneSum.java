package io.moe4j.engine.backend.cpu.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Shuffles for summing the lanes of a {@link FloatVector#SPECIES_PREFERRED} vector in a fixed order:
 * {@code v = v + v.rearrange(X8)} (when there are 16 lanes), then {@code X4}, {@code X2}, {@code X1}, and lane 0
 * holds the sum. Each shuffle swaps lane i with lane i XOR h. {@code reduceLanes(ADD)} must not be used for float
 * sums whose bits matter: its order is unspecified, and the JIT's tree and the interpreter's loop differ, so a
 * result computed before and after C2 compiled the kernel could differ in the last bit (MoeLayerDeterminismTest
 * caught a shared-expert gate whose dot product did). The sum is written out at each call site, never in a method
 * taking a vector (see {@link Elementwise} on boxing): {@code if (L > 8) v = v.add(v.rearrange(X8)); …}.
 */
final class LaneSum {
    private LaneSum() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Null where the species has no lanes that far apart; the call sites test {@link #L} first. */
    static final VectorShuffle<Float> X8 = xor(8);
    static final VectorShuffle<Float> X4 = xor(4);
    static final VectorShuffle<Float> X2 = xor(2);
    static final VectorShuffle<Float> X1 = xor(1);

    private static VectorShuffle<Float> xor(int h) {
        return h < L ? VectorShuffle.fromOp(F, i -> i ^ h) : null;
    }
}
