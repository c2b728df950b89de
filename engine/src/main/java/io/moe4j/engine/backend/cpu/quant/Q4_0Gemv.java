package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.B8;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H1;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H2;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H4;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2I;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.XOR;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;

/**
 * The M = 1 GEMV kernel for Q4_0 weights: each block is dequantized in registers to exactly the values of
 * {@link Q4_0#dequantize} (the integer {@code q − 8}, to float, times the scale) and goes straight into the fused
 * multiply-add chain. {@code q − 8} comes out of sign arithmetic: with bit 3 of each nibble flipped (one XOR of the
 * 8 bytes with 0x88), a nibble read as a signed 4-bit number is {@code q − 8}, so after widening the bytes with
 * sign extension the high one is an arithmetic shift right by 4 and the low one a shift left by 28 and back: 3
 * operations per 16 weights instead of 5 for mask, shift and subtract. The same operations in the same order as
 * {@link QuantGemv}'s general path (elements 0-7, 8-15 from the low nibbles, then 16-23, 24-31 from the high
 * ones), so the same bits.
 *
 * <p>Two weight rows at a time, half the range apart (far-apart streams, as in {@link QuantGemv}). A 4-row kernel
 * (1413 bytes of bytecode) was 13% slower on one AVX2 core (9.55 against 8.30 ms for 14336 x 4096) and, when C2
 * recompiled it after an uncommon trap, now and then left {@code IntVector.lanewise(shift)} not inlined: every
 * vector was then boxed, 0.2-1.5 GB of heap per decoded token at half the speed. The loop counts blocks with one
 * int variable and addresses both the weights ({@code w0 + 18 b}) and x from it, so C2 can hoist the bounds checks.
 */
final class Q4_0Gemv {
    private Q4_0Gemv() {}

    /** Rows {@code [nStart, nEnd)} of y for one row of x ({@code xp[0..k)}), arguments checked. */
    static void rows(float[] xp, int k, MemorySegment w, long wOff, MemorySegment y, long yOff, int nStart, int nEnd) {
        long rowBytes = (long) k / Q4_0.BLOCK * Q4_0.BLOCK_BYTES;
        int half = (nEnd - nStart) / 2;
        for (int n = nStart; n < nStart + half; n++) {
            k1x2(xp, k, w, wOff + n * rowBytes, wOff + (n + half) * rowBytes, y, yOff + 4L * n, yOff + 4L * (n + half));
        }
        if ((nEnd - nStart) % 2 != 0) k1x1(xp, k, w, wOff + (nEnd - 1L) * rowBytes, y, yOff + 4L * (nEnd - 1));
    }

    private static void k1x2(float[] xp, int k, MemorySegment w, long w0, long w1, MemorySegment y, long y0, long y1) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int blocks = k / Q4_0.BLOCK;
        for (int b = 0; b < blocks; b++) {
            int j = Q4_0.BLOCK * b;
            long o0 = w0 + (long) Q4_0.BLOCK_BYTES * b, o1 = w1 + (long) Q4_0.BLOCK_BYTES * b;
            FloatVector p0 = FloatVector.fromArray(F, xp, j), p1 = FloatVector.fromArray(F, xp, j + 8);
            FloatVector p2 = FloatVector.fromArray(F, xp, j + 16), p3 = FloatVector.fromArray(F, xp, j + 24);
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, o0)));
            IntVector u = (IntVector) ByteVector.fromMemorySegment(B8, w, o0 + 2, LE).lanewise(XOR, (byte) 0x88).convertShape(B2I, I, 0);
            IntVector v = (IntVector) ByteVector.fromMemorySegment(B8, w, o0 + 10, LE).lanewise(XOR, (byte) 0x88).convertShape(B2I, I, 0);
            a0 = ((FloatVector) u.lanewise(LSHL, 28).lanewise(ASHR, 28).convert(I2F, 0)).mul(d).fma(p0, a0);
            a0 = ((FloatVector) v.lanewise(LSHL, 28).lanewise(ASHR, 28).convert(I2F, 0)).mul(d).fma(p1, a0);
            a0 = ((FloatVector) u.lanewise(ASHR, 4).convert(I2F, 0)).mul(d).fma(p2, a0);
            a0 = ((FloatVector) v.lanewise(ASHR, 4).convert(I2F, 0)).mul(d).fma(p3, a0);
            d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, o1)));
            u = (IntVector) ByteVector.fromMemorySegment(B8, w, o1 + 2, LE).lanewise(XOR, (byte) 0x88).convertShape(B2I, I, 0);
            v = (IntVector) ByteVector.fromMemorySegment(B8, w, o1 + 10, LE).lanewise(XOR, (byte) 0x88).convertShape(B2I, I, 0);
            a1 = ((FloatVector) u.lanewise(LSHL, 28).lanewise(ASHR, 28).convert(I2F, 0)).mul(d).fma(p0, a1);
            a1 = ((FloatVector) v.lanewise(LSHL, 28).lanewise(ASHR, 28).convert(I2F, 0)).mul(d).fma(p1, a1);
            a1 = ((FloatVector) u.lanewise(ASHR, 4).convert(I2F, 0)).mul(d).fma(p2, a1);
            a1 = ((FloatVector) v.lanewise(ASHR, 4).convert(I2F, 0)).mul(d).fma(p3, a1);
        }
        a0 = a0.add(a0.rearrange(H4));
        a1 = a1.add(a1.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        a1 = a1.add(a1.rearrange(H2));
        y.set(F32, y0, a0.add(a0.rearrange(H1)).lane(0));
        y.set(F32, y1, a1.add(a1.rearrange(H1)).lane(0));
    }

    private static void k1x1(float[] xp, int k, MemorySegment w, long w0, MemorySegment y, long yo) {
        FloatVector a0 = FloatVector.zero(F);
        int blocks = k / Q4_0.BLOCK;
        for (int b = 0; b < blocks; b++) {
            int j = Q4_0.BLOCK * b;
            long o = w0 + (long) Q4_0.BLOCK_BYTES * b;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16, o)));
            IntVector u = (IntVector) ByteVector.fromMemorySegment(B8, w, o + 2, LE).lanewise(XOR, (byte) 0x88).convertShape(B2I, I, 0);
            IntVector v = (IntVector) ByteVector.fromMemorySegment(B8, w, o + 10, LE).lanewise(XOR, (byte) 0x88).convertShape(B2I, I, 0);
            a0 = ((FloatVector) u.lanewise(LSHL, 28).lanewise(ASHR, 28).convert(I2F, 0)).mul(d).fma(FloatVector.fromArray(F, xp, j), a0);
            a0 = ((FloatVector) v.lanewise(LSHL, 28).lanewise(ASHR, 28).convert(I2F, 0)).mul(d).fma(FloatVector.fromArray(F, xp, j + 8), a0);
            a0 = ((FloatVector) u.lanewise(ASHR, 4).convert(I2F, 0)).mul(d).fma(FloatVector.fromArray(F, xp, j + 16), a0);
            a0 = ((FloatVector) v.lanewise(ASHR, 4).convert(I2F, 0)).mul(d).fma(FloatVector.fromArray(F, xp, j + 24), a0);
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        y.set(F32, yo, a0.add(a0.rearrange(H1)).lane(0));
    }
}
