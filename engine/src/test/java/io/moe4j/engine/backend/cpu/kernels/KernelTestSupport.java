package io.moe4j.engine.backend.cpu.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * Shared test plumbing for the kernel tests: off-heap buffers at chosen (also unaligned) byte offsets, surrounded
 * by sentinel bytes that must survive every kernel call, plus size lists and tolerance checks.
 */
final class KernelTestSupport {
    private KernelTestSupport() {}

    /** Element counts: scalar-only, one vector ± 1, odd tails, model widths (Mixtral 4096, DBRX 6144). */
    static final int[] SIZES = {1, 7, 8, 9, 31, 64, 4096, 4097, 6144};
    /** Byte offsets of operands: aligned, float-aligned but not vector-aligned, and odd. */
    static final long[] OFFSETS = {0, 4, 3};

    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final byte SENTINEL = (byte) 0xA5;
    static final long GUARD = 72;

    /** A payload of {@code bytes} bytes at {@code off} inside {@code seg}, with sentinel bytes before and after. */
    record Buf(MemorySegment seg, long off, long bytes) {
        void assertGuardsIntact() {
            for (long i = 0; i < off; i++) {
                if (seg.get(ValueLayout.JAVA_BYTE, i) != SENTINEL) fail("byte " + i + " before the output was written");
            }
            for (long i = off + bytes; i < seg.byteSize(); i++) {
                if (seg.get(ValueLayout.JAVA_BYTE, i) != SENTINEL) {
                    fail("byte " + (i - off - bytes) + " past the end of the output was written");
                }
            }
        }

        float f(long i) { return seg.get(F32, off + 4 * i); }

        int bits(long i) { return seg.get(I32, off + 4 * i); }

        short half(long i) { return seg.get(I16, off + 2 * i); }

        float[] floats(int n) {
            float[] r = new float[n];
            for (int i = 0; i < n; i++) r[i] = f(i);
            return r;
        }
    }

    /** A sentinel-filled buffer with room for {@code bytes} at {@code off}. */
    static Buf buffer(Arena arena, long bytes, long off) {
        MemorySegment seg = arena.allocate(off + bytes + GUARD, 64);
        seg.fill(SENTINEL);
        return new Buf(seg, off, bytes);
    }

    static Buf floats(Arena arena, float[] v, long off) {
        Buf b = buffer(arena, 4L * v.length, off);
        for (int i = 0; i < v.length; i++) b.seg.set(F32, off + 4L * i, v[i]);
        return b;
    }

    static Buf shorts(Arena arena, short[] v, long off) {
        Buf b = buffer(arena, 2L * v.length, off);
        for (int i = 0; i < v.length; i++) b.seg.set(I16, off + 2L * i, v[i]);
        return b;
    }

    static float[] gaussian(Random r, int n, double sigma, double mean) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + sigma * r.nextGaussian());
        return v;
    }

    /** Asserts {@code |actual − expected| ≤ tol}; NaN matches only NaN, infinities match exactly. */
    static void assertClose(double expected, float actual, double tol, String what) {
        if (Double.isNaN(expected)) {
            if (!Float.isNaN(actual)) fail(what + ": expected NaN, got " + actual);
            return;
        }
        if (Double.isInfinite(expected) || Float.isInfinite(actual)) {
            assertEquals(expected, (double) actual, what);
            return;
        }
        double err = Math.abs(actual - expected);
        if (!(err <= tol)) fail(what + ": expected " + expected + ", got " + actual + " (error " + err + " > " + tol
                + ")");
    }

    static String where(String kernel, int n, long off, int i) {
        return kernel + " n=" + n + " off=" + off + " i=" + i;
    }
}
