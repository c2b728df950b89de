package io.moe4j.engine.backend.cpu.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Species, layouts and scalar helpers shared by the block formats and their kernels.
 *
 * <p>Weights are loaded 8 bytes at a time as a 64-bit {@link ByteVector} and widened to 8 int or float lanes
 * ({@code convertShape(B2I | B2F, …, 0)}, one {@code vpmovsxbd} (+ {@code vcvtdq2ps}) on AVX2): loading 32 bytes
 * and converting parts 1..3 of them costs extra lane shuffles per part.
 *
 * <p>Half scales are read in the kernels as {@code Float.float16ToFloat(s.get(I16, off))}, written out rather than
 * through a helper: C2 stopped inlining such a helper into the large kernels, and each call in an inner loop
 * spilled every vector register to the stack.
 *
 * <p>Dequantized floats are stored as longs ({@code reinterpretAsLongs().intoMemorySegment(…)}) for the reason given
 * in {@link io.moe4j.engine.backend.cpu.kernels.Elementwise}: a polluted type profile of
 * {@code FloatVector.intoMemorySegment} would put a type check in every store of the prefill's dequantization.
 */
final class QuantVectors {
    private QuantVectors() {}

    static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /*
     * Lane sums in the fused kernels: v + v.rearrange(H4), then H2, then H1 leaves in lane 0
     * ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)), the tree of F32Tiles.laneSum (reduceLanes(ADD) has no
     * fixed order).
     */
    static final VectorShuffle<Float> H4 = VectorShuffle.fromValues(F, 4, 5, 6, 7, 0, 1, 2, 3);
    static final VectorShuffle<Float> H2 = VectorShuffle.fromValues(F, 2, 3, 0, 1, 6, 7, 4, 5);
    static final VectorShuffle<Float> H1 = VectorShuffle.fromValues(F, 1, 0, 3, 2, 5, 4, 7, 6);

    /**
     * Checks a dequantization or quantization range: {@code count} elements (a multiple of {@code block}) whose
     * blocks of {@code blockBytes} start at {@code blocksOffset}, and {@code count} floats at {@code floatsOffset}.
     */
    static void checkRange(String format, int block, int blockBytes, MemorySegment blocks, long blocksOffset,
                           MemorySegment floats, long floatsOffset, long count) {
        if (count < 0 || count % block != 0) {
            throw new IllegalArgumentException(format + " stores blocks of " + block + " elements; " + count
                    + " is not a multiple");
        }
        long bytes = Math.multiplyExact(count / block, (long) blockBytes);
        if (blocksOffset < 0 || bytes > blocks.byteSize() - blocksOffset) {
            throw new IndexOutOfBoundsException(format + ": " + bytes + " bytes of blocks at offset " + blocksOffset
                    + " do not fit in a segment of " + blocks.byteSize() + " bytes");
        }
        long fb = Math.multiplyExact(count, 4L);
        if (floatsOffset < 0 || fb > floats.byteSize() - floatsOffset) {
            throw new IndexOutOfBoundsException(format + ": " + count + " floats at offset " + floatsOffset
                    + " do not fit in a segment of " + floats.byteSize() + " bytes");
        }
    }
}
