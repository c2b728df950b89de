package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H1;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H2;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H4;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The M = 1 GEMV kernel for Q8_0 weights: each block is dequantized in registers (widen 8 bytes to floats, times
 * the scale, exactly as {@link Q8_0#dequantize}) and goes straight into the fused multiply-add chain, with no
 * store to a buffer in between. Four weight rows at a time (4 independent chains sharing each x load); the same
 * operations in the same order as {@link QuantGemv}'s general path, so the same bits.
 */
final class Q8_0Gemv {
    private Q8_0Gemv() {}

    /** Rows {@code [nStart, nEnd)} of y for one row of x ({@code xp[0..k)}), arguments checked. */
    static void rows(float[] xp, int k, MemorySegment w, long wOff, MemorySegment y, long yOff, int nStart, int nEnd) {
        long rowBytes = (long) k / Q8_0.BLOCK * Q8_0.BLOCK_BYTES;
        int q = (nEnd - nStart) / 4, rest = nStart + 4 * q;
        for (int n = nStart; n < nStart + q; n++) k1x4(xp, k, w, wOff + n * rowBytes, q * rowBytes, y, yOff + 4L * n, 4L * q);
        for (int n = rest; n < nEnd; n++) k1x1(xp, k, w, wOff + n * rowBytes, y, yOff + 4L * n);
    }

    private static void k1x4(float[] xp, int k, MemorySegment w, long w0, long wStep, MemorySegment y, long yo, long yStep) {
        long w1 = w0 + wStep, w2 = w1 + wStep, w3 = w2 + wStep;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0, o = 0; j < k; j += Q8_0.BLOCK, o += Q8_0.BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, w0 + o)));
            FloatVector d1 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, w1 + o)));
            FloatVector d2 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, w2 + o)));
            FloatVector d3 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, w3 + o)));
            for (int l = 0; l < Q8_0.BLOCK; l += 8) {
                FloatVector p = FloatVector.fromArray(F, xp, j + l);
                long b = o + 2 + l;
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B8, w, w0 + b, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d0).fma(p, a0);
                a1 = ((FloatVector) ByteVector.fromMemorySegment(B8, w, w1 + b, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d1).fma(p, a1);
                a2 = ((FloatVector) ByteVector.fromMemorySegment(B8, w, w2 + b, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d2).fma(p, a2);
                a3 = ((FloatVector) ByteVector.fromMemorySegment(B8, w, w3 + b, LE).convertShape(VectorOperators.B2F, F, 0))
                        .mul(d3).fma(p, a3);
            }
        }
        a0 = a0.add(a0.rearrange(H4));
        a1 = a1.add(a1.rearrange(H4));
        a2 = a2.add(a2.rearrange(H4));
        a3 = a3.add(a3.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        a1 = a1.add(a1.rearrange(H2));
        a2 = a2.add(a2.rearrange(H2));
        a3 = a3.add(a3.rearrange(H2));
        y.set(F32, yo, a0.add(a0.rearrange(H1)).lane(0));
        y.set(F32, yo + yStep, a1.add(a1.rearrange(H1)).lane(0));
        y.set(F32, yo + 2 * yStep, a2.add(a2.rearrange(H1)).lane(0));
        y.set(F32, yo + 3 * yStep, a3.add(a3.rearrange(H1)).lane(0));
    }

    private static void k1x1(float[] xp, int k, MemorySegment w, long w0, MemorySegment y, long yo) {
        FloatVector a0 = FloatVector.zero(F);
        for (int j = 0, o = 0; j < k; j += Q8_0.BLOCK, o += Q8_0.BLOCK_BYTES) {
            FloatVector d0 = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, w0 + o)));
            for (int l = 0; l < Q8_0.BLOCK; l += 8) {
                a0 = ((FloatVector) ByteVector.fromMemorySegment(B8, w, w0 + o + 2 + l, LE)
                        .convertShape(VectorOperators.B2F, F, 0)).mul(d0).fma(FloatVector.fromArray(F, xp, j + l), a0);
            }
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        y.set(F32, yo, a0.add(a0.rearrange(H1)).lane(0));
    }
}
