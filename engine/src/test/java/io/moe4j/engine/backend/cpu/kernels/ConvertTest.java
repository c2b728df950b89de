package io.moe4j.engine.backend.cpu.kernels;

import static io.moe4j.engine.backend.cpu.kernels.KernelTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moe4j.engine.tensor.BFloat16;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Conversions must be bit-exact: every one of the 65536 f16 / bf16 patterns to f32, and a large structured sample
 * of f32 patterns (every sign/exponent with mantissas around each rounding boundary, NaN payloads, overflow and
 * underflow thresholds) to f16 / bf16, against {@link Float#float16ToFloat}, {@link Float#floatToFloat16} and
 * {@link BFloat16#fromFloat}. Runs are split into pieces of mixed lengths so that every pattern goes through both
 * the vector body and the scalar tail, at aligned and unaligned offsets, and nothing past the output is written.
 */
class ConvertTest {
    /** Piece lengths cycled through to mix vector bodies and tails. */
    private static final int[] PIECES = {1, 7, 8, 31, 64, 9, 4097, 3, 16, 2};

    interface Kernel { void run(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long n); }

    @Test
    void bf16ToF32AllPatterns() {
        short[] all = allShorts();
        for (long srcOff : new long[] {0, 2, 1}) {
            for (long dstOff : OFFSETS) {
                for (boolean pieces : new boolean[] {false, true}) {
                    try (Arena arena = Arena.ofConfined()) {
                        Buf src = shorts(arena, all, srcOff);
                        Buf dst = buffer(arena, 4L * all.length, dstOff);
                        run(Convert::bf16ToF32, src, 2, dst, 4, all.length, pieces);
                        for (int i = 0; i < all.length; i++) {
                            assertEquals(all[i] << 16, dst.bits(i), "bf16 pattern " + Integer.toHexString(i));
                        }
                        dst.assertGuardsIntact();
                    }
                }
            }
        }
    }

    @Test
    void f16ToF32AllPatterns() {
        short[] all = allShorts();
        for (long srcOff : new long[] {0, 2, 1}) {
            for (long dstOff : OFFSETS) {
                for (boolean pieces : new boolean[] {false, true}) {
                    try (Arena arena = Arena.ofConfined()) {
                        Buf src = shorts(arena, all, srcOff);
                        Buf dst = buffer(arena, 4L * all.length, dstOff);
                        run(Convert::f16ToF32, src, 2, dst, 4, all.length, pieces);
                        for (int i = 0; i < all.length; i++) {
                            assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(all[i])), dst.bits(i),
                                    "f16 pattern " + Integer.toHexString(i));
                        }
                        dst.assertGuardsIntact();
                    }
                }
            }
        }
    }

    @Test
    void f16ToF32FiniteValuesTakeTheVectorPath() {
        // the all-patterns run hands chunks holding an inf or NaN to the JDK: check the vector path on finite values
        short[] finite = new short[65536 - 2 * 1024];
        int j = 0;
        for (int h = 0; h < 65536; h++) if ((h & 0x7fff) < 0x7c00) finite[j++] = (short) h;
        try (Arena arena = Arena.ofConfined()) {
            Buf src = shorts(arena, finite, 0);
            Buf dst = buffer(arena, 4L * finite.length, 0);
            Convert.f16ToF32(src.seg(), 0, dst.seg(), 0, finite.length);
            for (int i = 0; i < finite.length; i++) {
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(finite[i])), dst.bits(i),
                        "f16 pattern " + Integer.toHexString(finite[i] & 0xffff));
            }
            dst.assertGuardsIntact();
        }
    }

    @Test
    void f32ToF16Sample() {
        float[] sample = f32Sample(true);
        checkTo16(Convert::f32ToF16, sample, true);
        checkTo16(Convert::f32ToF16, f32Sample(false), true); // no NaNs: in-range chunks take the vector path
    }

    @Test
    void f32ToBf16Sample() {
        checkTo16(Convert::f32ToBf16, f32Sample(true), false);
    }

    @Test
    void roundTripsAreExact() {
        // every non-NaN f16 / bf16 value converts to f32 and back unchanged
        short[] all = allShorts();
        try (Arena arena = Arena.ofConfined()) {
            Buf src = shorts(arena, all, 0);
            Buf mid = buffer(arena, 4L * all.length, 0);
            Buf back = buffer(arena, 2L * all.length, 2);
            Convert.f16ToF32(src.seg(), 0, mid.seg(), 0, all.length);
            Convert.f32ToF16(mid.seg(), 0, back.seg(), 2, all.length);
            for (int h = 0; h < 65536; h++) if ((h & 0x7fff) <= 0x7c00) assertEquals((short) h, back.half(h));
            Convert.bf16ToF32(src.seg(), 0, mid.seg(), 0, all.length);
            Convert.f32ToBf16(mid.seg(), 0, back.seg(), 2, all.length);
            for (int h = 0; h < 65536; h++) if ((h & 0x7fff) <= 0x7f80) assertEquals((short) h, back.half(h));
            back.assertGuardsIntact();
        }
    }

    @Test
    void emptyRunWritesNothing() {
        try (Arena arena = Arena.ofConfined()) {
            Buf src = floats(arena, new float[] {1f}, 0);
            Buf dst = buffer(arena, 0, 4);
            Convert.f32ToF16(src.seg(), 0, dst.seg(), 4, 0);
            Convert.f32ToBf16(src.seg(), 0, dst.seg(), 4, 0);
            dst.assertGuardsIntact();
        }
    }

    private static void checkTo16(Kernel kernel, float[] sample, boolean f16) {
        for (long srcOff : OFFSETS) {
            for (long dstOff : new long[] {0, 2, 1}) {
                for (boolean pieces : new boolean[] {false, true}) {
                    try (Arena arena = Arena.ofConfined()) {
                        Buf src = floats(arena, sample, srcOff);
                        Buf dst = buffer(arena, 2L * sample.length, dstOff);
                        run(kernel, src, 4, dst, 2, sample.length, pieces);
                        for (int i = 0; i < sample.length; i++) {
                            float v = src.f(i);
                            short expected = f16 ? Float.floatToFloat16(v) : BFloat16.fromFloat(v);
                            if (expected != dst.half(i)) {
                                assertEquals(Integer.toHexString(expected & 0xffff),
                                        Integer.toHexString(dst.half(i) & 0xffff),
                                        "f32 " + Integer.toHexString(src.bits(i)) + " (" + v + ") at " + i);
                            }
                        }
                        dst.assertGuardsIntact();
                    }
                }
            }
        }
    }

    private static void run(Kernel kernel, Buf src, int srcSize, Buf dst, int dstSize, int n, boolean pieces) {
        if (!pieces) {
            kernel.run(src.seg(), src.off(), dst.seg(), dst.off(), n);
            return;
        }
        int done = 0;
        for (int p = 0; done < n; p++) {
            int len = Math.min(PIECES[p % PIECES.length], n - done);
            kernel.run(src.seg(), src.off() + (long) srcSize * done, dst.seg(), dst.off() + (long) dstSize * done, len);
            done += len;
        }
    }

    private static short[] allShorts() {
        short[] all = new short[65536];
        for (int i = 0; i < all.length; i++) all[i] = (short) i;
        return all;
    }

    /**
     * Every sign and exponent, each with mantissas at and around the f16 and bf16 rounding points (ties with odd
     * and even results, one ulp either side, all-ones, zero) and random ones; plus NaN payloads (quiet and
     * signalling, both signs) and the f16 overflow / subnormal thresholds. About 2.4 million values.
     */
    private static float[] f32Sample(boolean withNaNs) {
        int[] mantissas = {0, 1, 2, 0xf, 0x10, 0xfff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x2001, 0x3000, 0x3001, 0x2fff,
                0x5000, 0x7000, 0x7fff, 0x8000, 0x8001, 0x18000, 0x17fff, 0x18001, 0xffff, 0x10000, 0x400000, 0x7fe000,
                0x7fefff, 0x7ff000, 0x7ff001, 0x7fffff, 0x7fff00, 0x7f8000, 0x7f7fff, 0x7f8001, 0x3ff000, 0x401000,
                0x1ff0, 0x7fe001, 0x0f0f0f, 0x555555, 0x2aaaaa};
        Random r = new Random(42);
        int randomPer = 4096;
        float[] v = new float[512 * (mantissas.length + randomPer) + 64];
        int j = 0;
        for (int se = 0; se < 512; se++) {
            boolean nanExp = (se & 0xff) == 0xff;
            for (int m : mantissas) {
                if (!withNaNs && nanExp && m != 0) m = 0;
                v[j++] = Float.intBitsToFloat(se << 23 | m);
            }
            for (int k = 0; k < randomPer; k++) {
                int m = r.nextInt(1 << 23);
                if (!withNaNs && nanExp) m = 0;
                v[j++] = Float.intBitsToFloat(se << 23 | m);
            }
        }
        float[] special = {65504f, 65519.996f, 65520f, 65520.004f, -65520f, 0x1p-24f, 0x1p-25f, Math.nextUp(0x1p-25f),
                Math.nextDown(0x1p-25f), 0x1.8p-24f, 0x1p-14f, Math.nextDown(0x1p-14f), 0x1.ffcp-15f, 0x1.ffep-15f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1f, -1f, 3.3895314e38f, 1.0039062f,
                1.0058594f, 1.0019531f};
        for (float s : special) v[j++] = s;
        while (j < v.length) v[j++] = withNaNs ? Float.intBitsToFloat(0x7f800000 | r.nextInt(1 << 23) | 1) : 2f;
        return v;
    }
}
