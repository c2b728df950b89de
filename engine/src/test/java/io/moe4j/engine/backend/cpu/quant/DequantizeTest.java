package io.moe4j.engine.backend.cpu.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.moe4j.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Dequantization bit-for-bit against {@link QuantReference} (NaN matches any NaN: ggml leaves the payload to the
 * hardware), on random blocks with every code value and with extreme scales, at unaligned offsets.
 */
class DequantizeTest {

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void randomBlocksWithExtremeScalesMatchTheReferenceExactly(DType type) {
        try (Arena arena = Arena.ofConfined()) {
            int blocks = type.blockSize() == 32 ? 4000 : 500;
            SplittableRandom r = new SplittableRandom(type.ordinal());
            for (long srcOff : new long[] {0, 3}) {
                for (long dstOff : new long[] {0, 4, 1}) {
                    MemorySegment src = arena.allocate(srcOff + (long) blocks * type.blockBytes());
                    QuantTestSupport.fill(src, srcOff, type, blocks, r, 0.3);
                    int count = blocks * type.blockSize();
                    MemorySegment dst = arena.allocate(dstOff + 4L * count + 64);
                    dst.fill((byte) 0x5A);
                    Dequantize.run(type, src, srcOff, dst, dstOff, count);
                    assertSame(QuantReference.row(type, src, srcOff, count), dst, dstOff, type + " offsets " + srcOff + "/" + dstOff);
                    for (long i = dstOff + 4L * count; i < dst.byteSize(); i++) {
                        assertEquals((byte) 0x5A, dst.get(ValueLayout.JAVA_BYTE, i), "wrote past the end");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void everyCodeAndScaleByteUnderEveryExtremeScale(DType type) {
        try (Arena arena = Arena.ofConfined()) {
            // One block per (extreme half, byte value b): every data byte is b, so every code (and for K-quants
            // every 6- and 8-bit scale and min) takes each of its values somewhere.
            int halves = QuantTestSupport.EXTREME_HALVES.length, blocks = halves * 256;
            MemorySegment src = arena.allocate((long) blocks * type.blockBytes());
            for (int h = 0; h < halves; h++) {
                for (int b = 0; b < 256; b++) {
                    long off = (long) (h * 256 + b) * type.blockBytes();
                    src.asSlice(off, type.blockBytes()).fill((byte) b);
                    for (int so : QuantTestSupport.scaleOffsets(type)) {
                        src.set(ValueLayout.JAVA_SHORT_UNALIGNED, off + so, QuantTestSupport.EXTREME_HALVES[h]);
                    }
                }
            }
            int count = blocks * type.blockSize();
            MemorySegment dst = arena.allocate(4L * count);
            Dequantize.run(type, src, 0, dst, 0, count);
            assertSame(QuantReference.row(type, src, 0, count), dst, 0, type.toString());
        }
    }

    @Test
    void referenceHalfDecoderAgreesWithTheJdk() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float mine = QuantReference.half(bits), jdk = Float.float16ToFloat((short) bits);
            if (Float.isNaN(mine) != Float.isNaN(jdk) || (!Float.isNaN(mine) && Float.floatToIntBits(mine) != Float.floatToIntBits(jdk))) {
                fail("half " + Integer.toHexString(bits) + ": " + mine + " vs " + jdk);
            }
        }
    }

    @Test
    void handDecodedBlocks() {
        try (Arena arena = Arena.ofConfined()) {
            // Q8_0, d = 0.5 (0x3800): q = -128 → -64, q = 127 → 63.5.
            MemorySegment q8 = arena.allocate(34);
            q8.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x3800);
            q8.set(ValueLayout.JAVA_BYTE, 2, (byte) -128);
            q8.set(ValueLayout.JAVA_BYTE, 33, (byte) 127);
            MemorySegment out = arena.allocate(4 * 256);
            Q8_0.dequantize(q8, 0, out, 0, 32);
            assertEquals(-64f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(0f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 1));
            assertEquals(63.5f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 31));
            // Q4_0, d = -2 (0xC000): byte 0 = 0xF0 → weight 0 code 0 → 16, weight 16 code 15 → -14.
            MemorySegment q4 = arena.allocate(18);
            q4.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0xC000);
            q4.set(ValueLayout.JAVA_BYTE, 2, (byte) 0xF0);
            Q4_0.dequantize(q4, 0, out, 0, 32);
            assertEquals(16f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 0));
            assertEquals(-14f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 16));
            assertEquals(16f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 1)); // byte 1 = 0: code 0 → (0 - 8) · -2
            // Q4_K, d = 1, dmin = 0.5; sub-block 5: scale = (byte 9 & 15) | (byte 1 >> 6) << 4 = 3 | 2 << 4 = 35,
            // min = (byte 9 >> 4) | (byte 5 >> 6) << 4 = 1 | 3 << 4 = 49; weight 160 (pair 2, high nibble of qs[64]).
            MemorySegment qk = arena.allocate(144);
            qk.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x3C00);
            qk.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) 0x3800);
            qk.set(ValueLayout.JAVA_BYTE, 4 + 1, (byte) 0x80);
            qk.set(ValueLayout.JAVA_BYTE, 4 + 5, (byte) 0xC0);
            qk.set(ValueLayout.JAVA_BYTE, 4 + 9, (byte) 0x13);
            qk.set(ValueLayout.JAVA_BYTE, 16 + 64, (byte) 0x70);
            Q4_K.dequantize(qk, 0, out, 0, 256);
            assertEquals(35f * 7 - 0.5f * 49, out.getAtIndex(ValueLayout.JAVA_FLOAT, 160));
            // sub-block 1: scale = byte 1 & 63 = 0, min = byte 5 & 63 = 0 → weight 32 is 0.
            assertEquals(0f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 32));
            // Q6_K, d = 2 at the end, scale 3 for weight 64+0 (sc[4]); ql[0] = 0xA0 (high nibble 10), qh[0] = 0x30
            // (bits 4-5 = 3): code = 10 | 3 << 4 = 58 → 58 - 32 = 26 → 2 · 3 · 26.
            MemorySegment q6 = arena.allocate(210);
            q6.set(ValueLayout.JAVA_SHORT_UNALIGNED, 208, (short) 0x4000);
            q6.set(ValueLayout.JAVA_BYTE, 0, (byte) 0xA0);
            q6.set(ValueLayout.JAVA_BYTE, 128, (byte) 0x30);
            q6.set(ValueLayout.JAVA_BYTE, 192 + 4, (byte) 3);
            Q6_K.dequantize(q6, 0, out, 0, 256);
            assertEquals(156f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 64));
            assertEquals(-0f, out.getAtIndex(ValueLayout.JAVA_FLOAT, 1)); // sc[0] = 0, code -32: (2 · 0) · -32
        }
    }

    @Test
    void badRangesAreErrors() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(144), dst = arena.allocate(4 * 256);
            var e = assertThrows(IllegalArgumentException.class, () -> Q4_K.dequantize(src, 0, dst, 0, 128));
            assertTrue(e.getMessage().contains("256"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> Q4_K.dequantize(src, 1, dst, 0, 256));
            assertThrows(IndexOutOfBoundsException.class, () -> Q4_K.dequantize(src, 0, dst, 4, 256));
            assertThrows(IllegalArgumentException.class, () -> Dequantize.run(DType.BF16, src, 0, dst, 0, 32));
        }
    }

    static void assertSame(float[] expected, MemorySegment dst, long off, String what) {
        for (int i = 0; i < expected.length; i++) {
            float actual = dst.get(ValueLayout.JAVA_FLOAT_UNALIGNED, off + 4L * i);
            boolean same = Float.isNaN(expected[i]) ? Float.isNaN(actual)
                    : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual);
            if (!same) fail(what + " weight " + i + ": expected " + expected[i] + ", got " + actual);
        }
    }
}
