package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.I16;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H1;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H2;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.H4;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;
import static jdk.incubator.vector.VectorOperators.ASHR;
import static jdk.incubator.vector.VectorOperators.B2S;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;

import io.moe4j.engine.tensor.DType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The quantized-activation variant of the Q8_0 and Q4_0 products, ggml's way: x quantized to 8-bit codes per
 * block of 32 ({@link Q8Activations}), then per block an integer dot product of weight codes and x codes, scaled
 * by {@code d_w · d_x} into a float accumulator.
 *
 * <p>The Vector API has no byte or short multiply-add (AVX2's {@code vpmaddubsw}/{@code vpmaddwd}), so a block
 * is done in 16-bit lanes: the 32 weight codes widened to two vectors of 16 shorts, two multiplies and an add
 * (|sum| ≤ 2 · 128 · 127 fits), then the 16 short sums folded into 8 int lanes (shift pairs), converted to float
 * and accumulated with the block's scale. The widened weights of a block serve up to 4 rows of x.
 *
 * <p><b>Numerics.</b> The integer sums are exact; the error is that of rounding x to 8 bits (at most
 * {@code d_x / 2} per element, so {@code Σ_b d_x,b / 2 · Σ_j |w_j|} in all) plus float32 accumulation. Results
 * do not depend on the thread count.
 */
final class QuantDot {
    private QuantDot() {}

    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;

    /** Rows {@code [nStart, nEnd)} of y for the m quantized rows of x; y stride in bytes. */
    static void rows(DType wType, Q8Activations xq, int m, int k, MemorySegment w, long wOff,
                     MemorySegment y, long yOff, long yStride, int nStart, int nEnd) {
        long rowBytes = wType.bytesFor(k);
        boolean q8 = wType == DType.Q8_0;
        for (int n = nStart; n < nEnd; n++) {
            long wr = wOff + n * rowBytes, yo = yOff + 4L * n;
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                if (q8) q8x4(xq, i, k, w, wr, y, yo + i * yStride, yStride);
                else q4x4(xq, i, k, w, wr, y, yo + i * yStride, yStride);
            }
            for (; i < m; i++) {
                if (q8) q8x1(xq, i, k, w, wr, y, yo + i * yStride);
                else q4x1(xq, i, k, w, wr, y, yo + i * yStride);
            }
        }
    }

    private static void q8x1(Q8Activations xq, int i, int k, MemorySegment w, long wr, MemorySegment y, long yo) {
        short[] q = xq.q;
        float[] d = xq.d;
        int x0 = i * k;
        FloatVector a0 = FloatVector.zero(F);
        for (int j = 0, o = 0; j < k; j += 32, o += Q8_0.BLOCK_BYTES) {
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B16, w, wr + o + 2, LE).convertShape(B2S, S, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B16, w, wr + o + 18, LE).convertShape(B2S, S, 0);
            float dw = Float.float16ToFloat(w.get(I16, wr + o));
            IntVector p = w0.mul(ShortVector.fromArray(S, q, x0 + j)).add(w1.mul(ShortVector.fromArray(S, q, x0 + j + 16)))
                    .reinterpretAsInts();
            IntVector s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a0 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x0 + j) / 32]), a0);
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        y.set(F32, yo, a0.add(a0.rearrange(H1)).lane(0));
    }

    private static void q8x4(Q8Activations xq, int i, int k, MemorySegment w, long wr, MemorySegment y, long yo, long yStride) {
        short[] q = xq.q;
        float[] d = xq.d;
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0, o = 0; j < k; j += 32, o += Q8_0.BLOCK_BYTES) {
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B16, w, wr + o + 2, LE).convertShape(B2S, S, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B16, w, wr + o + 18, LE).convertShape(B2S, S, 0);
            float dw = Float.float16ToFloat(w.get(I16, wr + o));
            IntVector p = w0.mul(ShortVector.fromArray(S, q, x0 + j)).add(w1.mul(ShortVector.fromArray(S, q, x0 + j + 16)))
                    .reinterpretAsInts();
            IntVector s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a0 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x0 + j) / 32]), a0);
            p = w0.mul(ShortVector.fromArray(S, q, x1 + j)).add(w1.mul(ShortVector.fromArray(S, q, x1 + j + 16)))
                    .reinterpretAsInts();
            s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a1 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x1 + j) / 32]), a1);
            p = w0.mul(ShortVector.fromArray(S, q, x2 + j)).add(w1.mul(ShortVector.fromArray(S, q, x2 + j + 16)))
                    .reinterpretAsInts();
            s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a2 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x2 + j) / 32]), a2);
            p = w0.mul(ShortVector.fromArray(S, q, x3 + j)).add(w1.mul(ShortVector.fromArray(S, q, x3 + j + 16)))
                    .reinterpretAsInts();
            s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a3 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x3 + j) / 32]), a3);
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
        y.set(F32, yo + yStride, a1.add(a1.rearrange(H1)).lane(0));
        y.set(F32, yo + 2 * yStride, a2.add(a2.rearrange(H1)).lane(0));
        y.set(F32, yo + 3 * yStride, a3.add(a3.rearrange(H1)).lane(0));
    }

    private static void q4x1(Q8Activations xq, int i, int k, MemorySegment w, long wr, MemorySegment y, long yo) {
        short[] q = xq.q;
        float[] d = xq.d;
        int x0 = i * k;
        FloatVector a0 = FloatVector.zero(F);
        for (int j = 0, o = 0; j < k; j += 32, o += Q4_0.BLOCK_BYTES) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, w, wr + o + 2, LE).convertShape(B2S, S, 0);
            ShortVector w0 = v.and((short) 15).sub((short) 8), w1 = v.lanewise(ASHR, 4).and((short) 15).sub((short) 8);
            float dw = Float.float16ToFloat(w.get(I16, wr + o));
            IntVector p = w0.mul(ShortVector.fromArray(S, q, x0 + j)).add(w1.mul(ShortVector.fromArray(S, q, x0 + j + 16)))
                    .reinterpretAsInts();
            IntVector s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a0 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x0 + j) / 32]), a0);
        }
        a0 = a0.add(a0.rearrange(H4));
        a0 = a0.add(a0.rearrange(H2));
        y.set(F32, yo, a0.add(a0.rearrange(H1)).lane(0));
    }

    private static void q4x4(Q8Activations xq, int i, int k, MemorySegment w, long wr, MemorySegment y, long yo, long yStride) {
        short[] q = xq.q;
        float[] d = xq.d;
        int x0 = i * k, x1 = x0 + k, x2 = x1 + k, x3 = x2 + k;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int j = 0, o = 0; j < k; j += 32, o += Q4_0.BLOCK_BYTES) {
            ShortVector v = (ShortVector) ByteVector.fromMemorySegment(B16, w, wr + o + 2, LE).convertShape(B2S, S, 0);
            ShortVector w0 = v.and((short) 15).sub((short) 8), w1 = v.lanewise(ASHR, 4).and((short) 15).sub((short) 8);
            float dw = Float.float16ToFloat(w.get(I16, wr + o));
            IntVector p = w0.mul(ShortVector.fromArray(S, q, x0 + j)).add(w1.mul(ShortVector.fromArray(S, q, x0 + j + 16)))
                    .reinterpretAsInts();
            IntVector s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a0 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x0 + j) / 32]), a0);
            p = w0.mul(ShortVector.fromArray(S, q, x1 + j)).add(w1.mul(ShortVector.fromArray(S, q, x1 + j + 16)))
                    .reinterpretAsInts();
            s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a1 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x1 + j) / 32]), a1);
            p = w0.mul(ShortVector.fromArray(S, q, x2 + j)).add(w1.mul(ShortVector.fromArray(S, q, x2 + j + 16)))
                    .reinterpretAsInts();
            s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a2 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x2 + j) / 32]), a2);
            p = w0.mul(ShortVector.fromArray(S, q, x3 + j)).add(w1.mul(ShortVector.fromArray(S, q, x3 + j + 16)))
                    .reinterpretAsInts();
            s = p.lanewise(LSHL, 16).lanewise(ASHR, 16).add(p.lanewise(ASHR, 16));
            a3 = ((FloatVector) s.convert(I2F, 0)).fma(FloatVector.broadcast(F, dw * d[(x3 + j) / 32]), a3);
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
        y.set(F32, yo + yStride, a1.add(a1.rearrange(H1)).lane(0));
        y.set(F32, yo + 2 * yStride, a2.add(a2.rearrange(H1)).lane(0));
        y.set(F32, yo + 3 * yStride, a3.add(a3.rearrange(H1)).lane(0));
    }
}
