package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H1;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H2;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H4;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I64;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The M = 1 GEMV kernel for Q4_K weights: two weight rows at a time, each 8 weights dequantized in registers
 * exactly as {@link Q4_K#dequantize} does (nibble to float, times {@code d · sc}, minus {@code dmin · m}, as one
 * fused multiply-add: the product is exact) and fed
 * straight into that row's fused multiply-add chain, in element order, so the same bits as {@link QuantGemv}'s
 * general path. Two rows advance together 8 weights at a time (two independent chains); the code bytes of a pair
 * of sub-blocks are loaded once for the low nibbles and again (from L1) for the high ones.
 */
final class Q4_KGemv {
    private Q4_KGemv() {}

    /** Rows {@code [nStart, nEnd)} of y for one row of x ({@code xp[0..k)}), arguments checked. */
    static void rows(float[] xp, int k, MemorySegment w, long wOff, MemorySegment y, long yOff, int nStart, int nEnd) {
        long rowBytes = (long) k / Q4_K.BLOCK * Q4_K.BLOCK_BYTES;
        float[] sc = SCALES.get();
        int q = (nEnd - nStart) / 2, rest = nStart + 2 * q;
        for (int n = nStart; n < nStart + q; n++) k1x2(xp, k, w, wOff + n * rowBytes, q * rowBytes, y, yOff + 4L * n, 4L * q, sc);
        if (rest < nEnd) k1x2(xp, k, w, wOff + rest * rowBytes, 0, y, yOff + 4L * rest, 0, sc);
    }

    /** Per-thread sub-block scales of the current super-block of the 2 rows: {@code d · sc} then {@code −dmin · m}. */
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[32]);

    /**
     * Writes the 8 sub-block scales {@code d · sc} and then the 8 offsets {@code −dmin · m} of the super-block at
     * {@code b} to {@code out[at..at + 16)}, computed as {@link Q4_K#dequantize} computes them. A call per
     * super-block and row, outside the vector work: done inline, the scalar unpacking made the kernel too large
     * for C2 to inline its helpers, and each non-inlined call in the inner loop spilled every vector register.
     */
    private static void subScales(MemorySegment w, long b, float[] out, int at) {
        float d = Float.float16ToFloat(w.get(I16, b)), dmin = Float.float16ToFloat(w.get(I16, b + 2));
        long lo = w.get(I64, b + 4);
        int hi = w.get(I32, b + 12);
        for (int s = 0; s < 8; s++) {
            out[at + s] = d * Q4_K.scale(lo, hi, s);
            out[at + 8 + s] = -dmin * Q4_K.min(lo, hi, s);
        }
    }

    /**
     * Rows at {@code w0} and {@code w0 + wStep}, outputs at {@code yo} and {@code yo + yStep}; a single row is done
     * with both steps 0 (both chains compute it and write the same value). Two rows, not four: with a scale and an
     * offset vector per row, four rows' accumulators no longer fit in the 16 registers and went to the stack,
     * which put a store and a load into every step of the chains.
     */
    private static void k1x2(float[] xp, int k, MemorySegment w, long w0, long wStep, MemorySegment y, long yo, long yStep,
                             float[] sc) {
        long w1 = w0 + wStep;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int j = 0, o = 0; j < k; j += Q4_K.BLOCK, o += Q4_K.BLOCK_BYTES) {
            subScales(w, w0 + o, sc, 0);
            subScales(w, w1 + o, sc, 16);
            for (int s = 0; s < 8; s++) {
                FloatVector s0 = FloatVector.broadcast(F, sc[s]), m0 = FloatVector.broadcast(F, sc[8 + s]);
                FloatVector s1 = FloatVector.broadcast(F, sc[16 + s]), m1 = FloatVector.broadcast(F, sc[24 + s]);
                int shift = 4 * (s & 1);
                long qs = o + 16 + 32L * (s >> 1);
                for (int l = 0; l < 32; l += 8) {
                    FloatVector p = FloatVector.fromArray(F, xp, j + 32 * s + l);
                    a0 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, w, w0 + qs + l, LE).convertShape(B2I, I, 0))
                            .lanewise(ASHR, shift).and(15).convert(I2F, 0)).fma(s0, m0).fma(p, a0);
                    a1 = ((FloatVector) ((IntVector) ByteVector.fromMemorySegment(B8, w, w1 + qs + l, LE).convertShape(B2I, I, 0))
                            .lanewise(ASHR, shift).and(15).convert(I2F, 0)).fma(s1, m1).fma(p, a1);
                }
            }
        }
        a0 = a0.add(a0.rearrange(H4));
        a1 = a1.add(a1.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        a1 = a1.add(a1.rearrange(H2));
        y.set(F32, yo + yStep, a1.add(a1.rearrange(H1)).lane(0));
        y.set(F32, yo, a0.add(a0.rearrange(H1)).lane(0));
    }
}
