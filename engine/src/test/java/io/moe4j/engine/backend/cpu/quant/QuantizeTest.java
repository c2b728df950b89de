package io.moe4j.engine.backend.cpu.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Q8_0 and Q4_0 quantization: byte-exact against hand-computed blocks and against a transcription of ggml's
 * reference quantizers written here; quantize → dequantize errors within the bounds the rounding allows.
 */
class QuantizeTest {

    @Test
    void q8_0HandComputedBlocks() {
        // amax 127 → d = 1 (half 0x3C00); roundf rounds halves away from zero and 0.49999997 down.
        float[] x = new float[32];
        float[] v = {127, -127, 2.5f, -2.5f, 0.49999997f, 1.5f, -0.5f, 126.5f, 0, 0.5f, 3.49f, -3.51f};
        System.arraycopy(v, 0, x, 0, v.length);
        byte[] q = new byte[32];
        byte[] e = {127, -127, 3, -3, 0, 2, -1, 127, 0, 1, 3, -4};
        System.arraycopy(e, 0, q, 0, e.length);
        assertQ8(x, (short) 0x3C00, q);
        // All zeros: d = 0, reciprocal 0, codes 0.
        assertQ8(new float[32], (short) 0, new byte[32]);
        // amax 1: d = 1/127 = 0.0078740157 → nearest half 2^-7 · (1 + 8/1024) = 0x2008; codes from the float d.
        float[] y = new float[32];
        y[0] = 1;
        y[1] = 0.25f;
        y[2] = -0.1f;
        byte[] qy = new byte[32];
        qy[0] = 127;
        qy[1] = 32;  // 31.75
        qy[2] = -13; // -12.7
        assertQ8(y, (short) 0x2008, qy);
    }

    @Test
    void q4_0HandComputedBlocks() {
        // First largest magnitude is -8 → d = -8 / -8 = 1; code = min(15, trunc(x + 8.5)); high nibbles (x = 0) 8.
        float[] x = new float[32];
        float[] v = {-8, 7, 8, 0.5f, -0.5f, 0.49f, 3.7f, -7.9f, 0};
        System.arraycopy(v, 0, x, 0, v.length);
        byte[] q = new byte[16];
        int[] codes = {0, 15, 15, 9, 8, 8, 12, 0, 8, 8, 8, 8, 8, 8, 8, 8};
        for (int j = 0; j < 16; j++) q[j] = (byte) (codes[j] | 8 << 4);
        assertQ4(x, (short) 0x3C00, q);
        // First largest magnitude is +8 → d = -1 (0xBC00): 8 → code 0, -8 → trunc(16.5) = 16 → 15, 2 → 6.
        float[] y = new float[32];
        y[0] = 8;
        y[1] = -8;
        y[2] = 2;
        byte[] qy = new byte[16];
        int[] cy = {0, 15, 6, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8};
        for (int j = 0; j < 16; j++) qy[j] = (byte) (cy[j] | 8 << 4);
        assertQ4(y, (short) 0xBC00, qy);
        assertQ4(new float[32], (short) 0x8000, repeat((byte) 0x88, 16)); // d = 0 / -8 = -0
    }

    @Test
    void randomBlocksMatchTheReferenceAlgorithmAndItsErrorBounds() {
        SplittableRandom r = new SplittableRandom(7);
        try (Arena arena = Arena.ofConfined()) {
            int blocks = 3000, count = 32 * blocks;
            MemorySegment x = arena.allocate(4L * count);
            for (int i = 0; i < count; i++) {
                double scale = Math.pow(10, r.nextInt(-6, 4)); // blocks of very different magnitudes
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * scale));
            }
            MemorySegment q8 = arena.allocate(34L * blocks), q4 = arena.allocate(18L * blocks);
            MemorySegment back = arena.allocate(4L * count);
            Q8_0.quantize(x, 0, q8, 0, count);
            Q4_0.quantize(x, 0, q4, 0, count);
            for (int b = 0; b < blocks; b++) {
                float[] xs = new float[32];
                for (int j = 0; j < 32; j++) xs[j] = x.getAtIndex(ValueLayout.JAVA_FLOAT, 32 * b + j);
                assertArrayEquals(ggmlQ8_0(xs), q8.asSlice(34L * b, 34).toArray(ValueLayout.JAVA_BYTE), "Q8_0 block " + b);
                assertArrayEquals(ggmlQ4_0(xs), q4.asSlice(18L * b, 18).toArray(ValueLayout.JAVA_BYTE), "Q4_0 block " + b);
            }
            Q8_0.dequantize(q8, 0, back, 0, count);
            checkBounds(x, back, blocks, 127, 0.5, 127);
            Q4_0.dequantize(q4, 0, back, 0, count);
            checkBounds(x, back, blocks, 8, 1.0, 8);
        }
    }

    @Test
    void badRangesAreErrors() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4 * 64), q = arena.allocate(34);
            assertThrows(IllegalArgumentException.class, () -> Q8_0.quantize(x, 0, q, 0, 31));
            assertThrows(IndexOutOfBoundsException.class, () -> Q8_0.quantize(x, 0, q, 0, 64));
            assertThrows(IndexOutOfBoundsException.class, () -> Q4_0.quantize(x, 200, q, 0, 32));
        }
    }

    /**
     * Checks |x − x̂| ≤ slack · |d| + codeMax · |d − half(d)| per element, d = amax / divisor: rounding to the
     * nearest code loses at most half a step (Q8_0), or a whole step for the one Q4_0 code clipped at 15, and the
     * half-precision scale moves a code by at most codeMax times its own rounding error.
     */
    private static void checkBounds(MemorySegment x, MemorySegment back, int blocks, int divisor, double slack, int codeMax) {
        for (int b = 0; b < blocks; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x.getAtIndex(ValueLayout.JAVA_FLOAT, 32 * b + j)));
            double d = amax / divisor, dh = Float.float16ToFloat(Float.floatToFloat16((float) d));
            double bound = slack * d * (1 + 1e-6) + codeMax * Math.abs(d - dh) + Float.MIN_NORMAL;
            for (int j = 0; j < 32; j++) {
                int i = 32 * b + j;
                double err = Math.abs(x.getAtIndex(ValueLayout.JAVA_FLOAT, i) - back.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                assertTrue(err <= bound, "element " + i + ": error " + err + " > " + bound);
            }
        }
    }

    /** ggml's quantize_row_q8_0_ref for one block, transcribed. */
    private static byte[] ggmlQ8_0(float[] x) {
        float amax = 0;
        for (float v : x) amax = amax > Math.abs(v) ? amax : Math.abs(v);
        float d = amax / ((1 << 7) - 1);
        float id = d != 0 ? 1.0f / d : 0.0f;
        byte[] out = new byte[34];
        short h = Float.floatToFloat16(d);
        out[0] = (byte) h;
        out[1] = (byte) (h >> 8);
        for (int j = 0; j < 32; j++) {
            float x0 = x[j] * id;
            out[2 + j] = (byte) (x0 < 0 ? -Math.floor(-x0 + 0.5) : Math.floor(x0 + 0.5)); // roundf
        }
        return out;
    }

    /** ggml's quantize_row_q4_0_ref for one block, transcribed. */
    private static byte[] ggmlQ4_0(float[] x) {
        float amax = 0, max = 0;
        for (float v : x) {
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        byte[] out = new byte[18];
        short h = Float.floatToFloat16(d);
        out[0] = (byte) h;
        out[1] = (byte) (h >> 8);
        for (int j = 0; j < 16; j++) {
            int xi0 = Math.min(15, (int) (x[j] * id + 8.5f));
            int xi1 = Math.min(15, (int) (x[16 + j] * id + 8.5f));
            out[2 + j] = (byte) (xi0 | xi1 << 4);
        }
        return out;
    }

    private static void assertQ8(float[] x, short d, byte[] q) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x), dst = arena.allocate(34);
            Q8_0.quantize(src, 0, dst, 0, 32);
            assertEquals(d, dst.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0), "scale bits");
            assertArrayEquals(q, dst.asSlice(2, 32).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(ggmlQ8_0(x), dst.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    private static void assertQ4(float[] x, short d, byte[] q) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x), dst = arena.allocate(18);
            Q4_0.quantize(src, 0, dst, 0, 32);
            assertEquals(d, dst.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0), "scale bits");
            assertArrayEquals(q, dst.asSlice(2, 16).toArray(ValueLayout.JAVA_BYTE));
            assertArrayEquals(ggmlQ4_0(x), dst.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    private static byte[] repeat(byte b, int n) {
        byte[] a = new byte[n];
        java.util.Arrays.fill(a, b);
        return a;
    }
}
