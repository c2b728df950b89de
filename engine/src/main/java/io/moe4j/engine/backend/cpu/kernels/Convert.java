package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Conversions between float32 and the two 16-bit float formats, over {@code n} contiguous elements from
 * {@code (src, srcOffset)} to {@code (dst, dstOffset)} (byte offsets, any alignment; the ranges must not overlap).
 *
 * <p>Why it is shaped this way: the incubating Vector API (JDK 25) has no half-float conversion operator
 * ({@code VectorOperators} offers no F2HF/HF2F, and {@code jdk.incubator.vector.Float16} is scalar only), so every
 * conversion is done with integer lane arithmetic on the bit patterns: 16-bit lanes are loaded as a half-width
 * {@link ShortVector}, widened to an {@link IntVector} of as many lanes as a {@link FloatVector}, rebuilt as
 * float32 bits and reinterpreted (and the reverse on the way back). bf16 is a plain shift plus round-to-nearest-
 * even; f16 → f32 is a shift, a mask and an exact multiply by 2^112; f32 → f16 rebiases the exponent with
 * integer adds (round to nearest even included), and rounds subnormal results with the float adder by adding a
 * "magic" power of two (F. Giesen's method). The results are bit-for-bit those of
 * {@link Float#float16ToFloat}, {@link Float#floatToFloat16} and
 * {@link io.moe4j.engine.tensor.BFloat16#fromFloat}. The one place those JDK methods are platform-specific is
 * the NaN payload (on x86 HotSpot uses F16C, which quiets signalling NaNs, while the portable Java code does not),
 * so any vector chunk that holds a NaN is converted by the JDK's own scalar methods — and, to keep the vector body
 * short, so is any chunk holding an infinity (or, to f16, a value of magnitude ≥ 2^16). Such values are rare in
 * weights and activations, so this costs nothing in practice and keeps the match exact on every platform. Tails
 * are scalar. Vectors never cross a method call, and float lanes are stored as longs (both: see
 * {@link Elementwise}).
 */
public final class Convert {
    private Convert() {}

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    /** Short lanes of half the bit size, so that one short vector widens to exactly one int vector. */
    private static final VectorSpecies<Short> S =
            VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final ByteOrder BO = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    // f32 -> f16 constants (float32 bit patterns)
    private static final int F16_OVERFLOW = (127 + 16) << 23;      // 2^16: |f| at or above it gives inf (or NaN)
    private static final int F32_INF = 0x7f800000;
    private static final int DENORM_MAGIC_BITS = ((127 - 15) + (23 - 10) + 1) << 23; // 0.5f
    private static final float DENORM_MAGIC_F32 = Float.intBitsToFloat(DENORM_MAGIC_BITS);

    /** bf16 → f32: exact (a 16-bit left shift of the bits). */
    public static void bf16ToF32(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            ((IntVector) ShortVector.fromMemorySegment(S, src, srcOffset + 2 * i, BO)
                    .convertShape(VectorOperators.S2I, I, 0))
                    .lanewise(VectorOperators.LSHL, 16)
                    .reinterpretAsLongs() // the float bits, stored as longs: see the class comment
                    .intoMemorySegment(dst, dstOffset + 4 * i, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < n; i++) {
            dst.set(F32, dstOffset + 4 * i, Float.intBitsToFloat(src.get(I16, srcOffset + 2 * i) << 16));
        }
    }

    /** f32 → bf16: round to nearest even; NaN stays NaN (quiet bit set, sign and top payload bits kept). */
    public static void f32ToBf16(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            IntVector bits = FloatVector.fromMemorySegment(F, src, srcOffset + 4 * i, BO).reinterpretAsInts();
            IntVector hi = bits.lanewise(VectorOperators.LSHR, 16);
            IntVector rounded = bits.add(hi.and(1).add(0x7fff)).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, F32_INF);
            rounded.blend(hi.or(0x0040), nan)
                    .convertShape(VectorOperators.I2S, S, 0) // keeps the low 16 bits
                    .intoMemorySegment(dst, dstOffset + 2 * i, BO);
        }
        for (; i < n; i++) {
            dst.set(I16, dstOffset + 2 * i, bf16(src.get(F32, srcOffset + 4 * i)));
        }
    }

    /** f16 → f32: exact, subnormals included; bit-for-bit {@link Float#float16ToFloat}. */
    public static void f16ToF32(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            // sign-extending widen of the halves to int lanes
            IntVector h = (IntVector) ShortVector.fromMemorySegment(S, src, srcOffset + 2 * i, BO)
                    .convertShape(VectorOperators.S2I, I, 0);
            if (h.and(0x7fff).compare(VectorOperators.GE, 0x7c00).anyTrue()) { // an inf or NaN lane: the JDK does it
                for (long j = i; j < i + L; j++) {
                    dst.set(F32, dstOffset + 4 * j, Float.float16ToFloat(src.get(I16, srcOffset + 2 * j)));
                }
                continue;
            }
            // Shifted left by 13, the sign-extended half has its sign in bits 28-31 and exponent:mantissa in 13-27;
            // keeping bits 31 and 13-27 gives a float (normal or subnormal) worth exactly 2^-112 times the half,
            // and multiplying by 2^112 is exact. Integer work then one float op: no domain round trip.
            h.lanewise(VectorOperators.LSHL, 13).and(0x8fffe000).reinterpretAsFloats().mul(0x1p112f)
                    .reinterpretAsLongs().intoMemorySegment(dst, dstOffset + 4 * i, ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < n; i++) {
            dst.set(F32, dstOffset + 4 * i, Float.float16ToFloat(src.get(I16, srcOffset + 2 * i)));
        }
    }

    /** f32 → f16: round to nearest even, overflow to ±inf; bit-for-bit {@link Float#floatToFloat16}. */
    public static void f32ToF16(MemorySegment src, long srcOffset, MemorySegment dst, long dstOffset, long n) {
        long i = 0;
        for (long bound = n & -L; i < bound; i += L) {
            IntVector bits = FloatVector.fromMemorySegment(F, src, srcOffset + 4 * i, BO).reinterpretAsInts();
            IntVector abs = bits.and(0x7fffffff);
            if (abs.compare(VectorOperators.GE, F16_OVERFLOW).anyTrue()) { // |x| ≥ 2^16, inf, NaN: the JDK does it
                for (long j = i; j < i + L; j++) {
                    dst.set(I16, dstOffset + 2 * j, Float.floatToFloat16(src.get(F32, srcOffset + 4 * j)));
                }
                continue;
            }
            // normal result: rebias, round to nearest even by adding 0xfff + (lsb of the result), drop 13 bits
            // (values in [65520, 65536) carry into the inf pattern 0x7c00 by themselves)
            IntVector odd = abs.lanewise(VectorOperators.LSHR, 13).and(1);
            IntVector h = abs.add(((15 - 127) << 23) + 0xfff).add(odd).lanewise(VectorOperators.LSHR, 13);
            VectorMask<Integer> tiny = abs.compare(VectorOperators.LT, 113 << 23);
            if (tiny.anyTrue()) {
                // subnormal or zero result: adding 0.5f makes the float adder round the mantissa to 2^-24 steps
                // (done only when needed: the int → float → int round trip is slow on some CPUs)
                IntVector sub = abs.reinterpretAsFloats().add(DENORM_MAGIC_F32).reinterpretAsInts()
                        .sub(DENORM_MAGIC_BITS);
                h = h.blend(sub, tiny);
            }
            h.or(bits.lanewise(VectorOperators.LSHR, 16).and(0x8000))
                    .convertShape(VectorOperators.I2S, S, 0) // keeps the low 16 bits
                    .intoMemorySegment(dst, dstOffset + 2 * i, BO);
        }
        for (; i < n; i++) {
            dst.set(I16, dstOffset + 2 * i, Float.floatToFloat16(src.get(F32, srcOffset + 4 * i)));
        }
    }

    /** Scalar f32 → bf16, the same rounding as the vector loop (and as {@code BFloat16.fromFloat}). */
    static short bf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > F32_INF) return (short) ((bits >>> 16) | 0x0040);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }
}
