package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;

/**
 * One weight type's GEMV kernels, driven by {@link GemvLoops}. The kernels load the weights and run the FMAs; they
 * are written out per type (see {@code GemvF32} for why) and called through this interface once per weight row
 * (M = 1) or per x tile and K block (M &gt; 1): never from inside their loops, and no vector crosses a call.
 *
 * <p>Offsets and strides are in bytes; {@code xp} is x as packed by {@link Gemv#packX}; {@code acc} holds 8 lanes
 * per output, the output of weight row {@code r} and x row {@code i} at {@code ao + (r * am + i) * 8}.
 */
interface GemvKernels {
    /** Bytes per weight. */
    long bytesPerWeight();

    /** The vector kernels cover K up to a multiple of this; {@link #tail} does the rest. */
    int kStep();

    /** M = 1: the four weight rows at {@code w0 + r * wStep}, whole K, outputs written at {@code yo + r * yStep}. */
    void k1x4(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, long wStep, int k, int kv,
              MemorySegment y, long yo, long yStep);

    /** M = 1: one weight row, whole K, its output written at {@code yo}. */
    void k1x1(float[] xp, MemorySegment x, long xo, MemorySegment w, long w0, int k, int kv, MemorySegment y, long yo);

    /** Whether an x tile of {@code mt} rows can take two weight rows at a time (registers permitting). */
    boolean pairs(int mt);

    /**
     * M &gt; 1: the x tile of {@code mt} rows at {@code xp[p]} times the weight row at {@code w0} (and, if
     * {@code pair}, the one at {@code w0 + wStep}), over elements {@code [k0, k1)} of K, added to {@code acc}.
     */
    void kb(int mt, boolean pair, float[] xp, int p, MemorySegment w, long w0, long wStep, int k0, int k1,
            float[] acc, int ao, int am);

    /** Scalar tail of one dot product: elements {@code [k0, k)} added to {@code s}, the sum of the vector part. */
    float tail(MemorySegment x, long xo, MemorySegment w, long wo, int k0, int k, float s);
}
