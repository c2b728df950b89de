package io.moe4j.engine.backend.cpu.quant;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Random quantized blocks for the tests: random codes and scale bytes, halves chosen sane or extreme. */
final class QuantTestSupport {
    private QuantTestSupport() {}

    static final DType[] TYPES = {DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q5_K, DType.Q6_K};

    /**
     * Extreme halves: ±max (65504), the smallest subnormal, the largest subnormal, the smallest normal, ±0,
     * ±inf, quiet and signalling NaN, ±1.
     */
    static final short[] EXTREME_HALVES = {0x7BFF, (short) 0xFBFF, 0x0001, 0x03FF, 0x0400, 0x0000, (short) 0x8000,
            0x7C00, (short) 0xFC00, 0x7E00, 0x7D01, 0x3C00, (short) 0xBC00};

    /** Byte offsets of the half scales in one block of {@code type}. */
    static int[] scaleOffsets(DType type) {
        return switch (type) {
            case Q8_0, Q4_0 -> new int[] {0};
            case Q4_K, Q5_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    /**
     * Fills {@code blocks} blocks at {@code off} with random bytes, then sets their half scales: with probability
     * {@code extreme} one of {@link #EXTREME_HALVES}, else a random half of magnitude in [2⁻¹⁰, 2⁻⁶) and random sign
     * (scales of real weights).
     */
    static void fill(MemorySegment s, long off, DType type, long blocks, SplittableRandom r, double extreme) {
        long bytes = blocks * type.blockBytes();
        for (long i = 0; i < bytes; i++) s.set(ValueLayout.JAVA_BYTE, off + i, (byte) r.nextInt());
        for (long b = 0; b < blocks; b++) {
            for (int so : scaleOffsets(type)) {
                short h = r.nextDouble() < extreme ? EXTREME_HALVES[r.nextInt(EXTREME_HALVES.length)]
                        : Float.floatToFloat16((float) (r.nextDouble(0x1p-10, 0x1p-6) * (r.nextBoolean() ? 1 : -1)));
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED, off + b * type.blockBytes() + so, h);
            }
        }
    }

    /** A random {@code [n, k]} weight tensor of {@code type} with sane scales. */
    static Tensor weights(Arena arena, DType type, long seed, int n, int k) {
        Tensor w = Tensor.allocate(arena, type, n, k);
        fill(w.segment(), 0, type, w.byteSize() / type.blockBytes(), new SplittableRandom(seed), 0);
        return w;
    }

    /** The exact dequantization of {@code w} by the test's reference, row-major {@code [N, K]}. */
    static float[] reference(Tensor w) {
        int n = (int) w.dim(0), k = (int) w.dim(1);
        long rowBytes = w.dtype().bytesFor(k);
        float[] out = new float[n * k];
        for (int i = 0; i < n; i++) {
            System.arraycopy(QuantReference.row(w.dtype(), w.segment(), i * rowBytes, k), 0, out, i * k, k);
        }
        return out;
    }

    /** A random F32 {@code [m, k]} tensor, uniform in [-1, 1). */
    static Tensor activations(Arena arena, long seed, int m, int k) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[m * k];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextDouble(-1, 1);
        return Tensor.ofFloats(arena, v, m, k);
    }
}
