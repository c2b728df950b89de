package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F;
import static io.moe4j.engine.backend.cpu.quant.QuantVectors.LE;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * Float32 micro-kernels of the quantized GEMV: a few rows of just-dequantized weights (in a small per-thread
 * segment, so in L1) times a tile of up to 4 rows of x, over {@code len} elements (a multiple of 8), continuing
 * 8-lane accumulators kept in {@code acc} between calls. Kernel {@code kRxC} takes R rows of x and C weight rows;
 * the accumulator of weight row r and x row i of the tile is {@code acc[ao + r * aStride + i * 8 ..]}, the
 * weights of row r start at {@code w0 + r * wStride} (bytes), x row i at {@code xp[xo + i * xStride]}.
 *
 * <p>Every accumulator is one chain of fused multiply-adds over K in order, whichever kernel runs it (storing and
 * reloading it between calls is exact), so results do not depend on M, on the tiling or on the thread count.
 * Vectors never cross a method call (a call that is not inlined would box them).
 */
final class F32Tiles {
    private F32Tiles() {}

    /** 1 x row, 4 weight rows: 4 independent chains sharing each x load (M = 1 is latency-bound otherwise). */
    static void k1x4(MemorySegment w, long w0, long wStride, float[] xp, int xo, int len, float[] acc, int ao,
                     int aStride) {
        long w1 = w0 + wStride, w2 = w1 + wStride, w3 = w2 + wStride;
        int a1o = ao + aStride, a2o = a1o + aStride, a3o = a2o + aStride;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), a1 = FloatVector.fromArray(F, acc, a1o);
        FloatVector a2 = FloatVector.fromArray(F, acc, a2o), a3 = FloatVector.fromArray(F, acc, a3o);
        for (int j = 0; j < len; j += 8) {
            long o = 4L * j;
            FloatVector p = FloatVector.fromArray(F, xp, xo + j);
            a0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE).fma(p, a0);
            a1 = FloatVector.fromMemorySegment(F, w, w1 + o, LE).fma(p, a1);
            a2 = FloatVector.fromMemorySegment(F, w, w2 + o, LE).fma(p, a2);
            a3 = FloatVector.fromMemorySegment(F, w, w3 + o, LE).fma(p, a3);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, a1o);
        a2.intoArray(acc, a2o);
        a3.intoArray(acc, a3o);
    }

    /** 2 x rows, 2 weight rows. */
    static void k2x2(MemorySegment w, long w0, long wStride, float[] xp, int xo, int xStride, int len, float[] acc,
                     int ao, int aStride) {
        long w1 = w0 + wStride;
        int x1 = xo + xStride, b0 = ao + aStride;
        FloatVector a00 = FloatVector.fromArray(F, acc, ao), a01 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a10 = FloatVector.fromArray(F, acc, b0), a11 = FloatVector.fromArray(F, acc, b0 + 8);
        for (int j = 0; j < len; j += 8) {
            long o = 4L * j;
            FloatVector e0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE);
            FloatVector e1 = FloatVector.fromMemorySegment(F, w, w1 + o, LE);
            FloatVector p0 = FloatVector.fromArray(F, xp, xo + j), p1 = FloatVector.fromArray(F, xp, x1 + j);
            a00 = e0.fma(p0, a00);
            a01 = e0.fma(p1, a01);
            a10 = e1.fma(p0, a10);
            a11 = e1.fma(p1, a11);
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + 8);
        a10.intoArray(acc, b0);
        a11.intoArray(acc, b0 + 8);
    }

    /** 1 x row, 1 weight row. */
    static void k1x1(MemorySegment w, long w0, float[] xp, int xo, int len, float[] acc, int ao) {
        FloatVector a0 = FloatVector.fromArray(F, acc, ao);
        for (int j = 0; j < len; j += 8) {
            a0 = FloatVector.fromMemorySegment(F, w, w0 + 4L * j, LE).fma(FloatVector.fromArray(F, xp, xo + j), a0);
        }
        a0.intoArray(acc, ao);
    }

    /** 2 x rows, 1 weight row. */
    static void k2x1(MemorySegment w, long w0, float[] xp, int xo, int xStride, int len, float[] acc, int ao) {
        int x1 = xo + xStride;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), a1 = FloatVector.fromArray(F, acc, ao + 8);
        for (int j = 0; j < len; j += 8) {
            FloatVector e = FloatVector.fromMemorySegment(F, w, w0 + 4L * j, LE);
            a0 = e.fma(FloatVector.fromArray(F, xp, xo + j), a0);
            a1 = e.fma(FloatVector.fromArray(F, xp, x1 + j), a1);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + 8);
    }

    /** 3 x rows, 1 weight row. */
    static void k3x1(MemorySegment w, long w0, float[] xp, int xo, int xStride, int len, float[] acc, int ao) {
        int x1 = xo + xStride, x2 = x1 + xStride;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), a1 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a2 = FloatVector.fromArray(F, acc, ao + 16);
        for (int j = 0; j < len; j += 8) {
            FloatVector e = FloatVector.fromMemorySegment(F, w, w0 + 4L * j, LE);
            a0 = e.fma(FloatVector.fromArray(F, xp, xo + j), a0);
            a1 = e.fma(FloatVector.fromArray(F, xp, x1 + j), a1);
            a2 = e.fma(FloatVector.fromArray(F, xp, x2 + j), a2);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + 8);
        a2.intoArray(acc, ao + 16);
    }

    /** 4 x rows, 1 weight row. */
    static void k4x1(MemorySegment w, long w0, float[] xp, int xo, int xStride, int len, float[] acc, int ao) {
        int x1 = xo + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), a1 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a2 = FloatVector.fromArray(F, acc, ao + 16), a3 = FloatVector.fromArray(F, acc, ao + 24);
        for (int j = 0; j < len; j += 8) {
            FloatVector e = FloatVector.fromMemorySegment(F, w, w0 + 4L * j, LE);
            a0 = e.fma(FloatVector.fromArray(F, xp, xo + j), a0);
            a1 = e.fma(FloatVector.fromArray(F, xp, x1 + j), a1);
            a2 = e.fma(FloatVector.fromArray(F, xp, x2 + j), a2);
            a3 = e.fma(FloatVector.fromArray(F, xp, x3 + j), a3);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + 8);
        a2.intoArray(acc, ao + 16);
        a3.intoArray(acc, ao + 24);
    }

    /** The 8 lanes at {@code a[o..]} summed in a fixed tree, the same as the F32/BF16 GEMV kernels' lane sum. */
    static float laneSum(float[] a, int o) {
        return ((a[o] + a[o + 4]) + (a[o + 2] + a[o + 6])) + ((a[o + 1] + a[o + 5]) + (a[o + 3] + a[o + 7]));
    }
}
