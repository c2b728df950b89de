package io.moe4j.engine.backend.cpu.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Precomputed RoPE cos/sin for positions {@code [0, maxPositions)}, so that decoding applies rotary embeddings
 * with loads and multiplies only ({@link Rope#apply(RopeTable, MemorySegment, long, MemorySegment, long, int, int,
 * int)}).
 *
 * <p>Why it is shaped this way: the values are exactly those {@link Rope}'s on-the-fly path computes (float32
 * {@code inv_freq}, float32 angle, cos/sin rounded to float32, as Hugging Face does), so both paths give the same
 * bits. They live off-heap in one segment from the caller's {@link Arena}, one row per position —
 * {@code rotaryDim/2} cosines followed by {@code rotaryDim/2} sines — so a decode step reads one contiguous row.
 * Building it is the only place with heap arrays and transcendental functions; it is done once per model.
 * Size: {@code maxPositions · rotaryDim · 4} bytes (16 MiB for 32768 positions of head_dim 128). The table is
 * immutable once built; to read it from several threads, build it in a shared (or global/auto) arena.
 */
public final class RopeTable {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final MemorySegment segment;
    private final int rotaryDim;
    private final int maxPositions;

    private RopeTable(MemorySegment segment, int rotaryDim, int maxPositions) {
        this.segment = segment;
        this.rotaryDim = rotaryDim;
        this.maxPositions = maxPositions;
    }

    /** The default (unscaled) rotary table: {@code inv_freq_i = 1 / theta^(2i/rotaryDim)}, see {@link Rope#invFreq}. */
    public static RopeTable create(Arena arena, int rotaryDim, int maxPositions, double theta) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) throw new IllegalArgumentException("rotary dim " + rotaryDim);
        float[] invFreq = new float[rotaryDim / 2];
        for (int i = 0; i < invFreq.length; i++) invFreq[i] = Rope.invFreq(i, rotaryDim, theta);
        return create(arena, invFreq, maxPositions);
    }

    /**
     * A table for given inverse frequencies (for scaled variants computed by the caller, e.g. Llama 3 or YaRN);
     * {@code rotaryDim = 2 · invFreq.length}.
     */
    public static RopeTable create(Arena arena, float[] invFreq, int maxPositions) {
        if (invFreq.length == 0) throw new IllegalArgumentException("no frequencies");
        if (maxPositions <= 0) throw new IllegalArgumentException("max positions " + maxPositions);
        int half = invFreq.length;
        MemorySegment segment = arena.allocate(Math.multiplyExact((long) maxPositions, 8L * half), 64);
        for (int p = 0; p < maxPositions; p++) {
            long row = (long) p * 8 * half;
            for (int i = 0; i < half; i++) {
                float angle = Rope.angle(p, invFreq[i]);
                segment.set(F32, row + 4L * i, Rope.cos(angle));
                segment.set(F32, row + 4L * (half + i), Rope.sin(angle));
            }
        }
        return new RopeTable(segment, 2 * half, maxPositions);
    }

    /** Dimensions rotated per head (even; the head dimension for full rotary embeddings). */
    public int rotaryDim() { return rotaryDim; }

    /** Positions covered: {@code [0, maxPositions)}. */
    public int maxPositions() { return maxPositions; }

    /** The whole table: {@code maxPositions} rows of {@code rotaryDim/2} cosines then {@code rotaryDim/2} sines. */
    public MemorySegment segment() { return segment; }

    /** Byte offset in {@link #segment()} of the cosines for {@code position}; the sines follow them. */
    public long rowOffset(int position) {
        if (position < 0 || position >= maxPositions) {
            throw new IndexOutOfBoundsException("position " + position + " outside [0, " + maxPositions + ")");
        }
        return (long) position * 4 * rotaryDim;
    }

    /** cos of frequency {@code i} at {@code position}. */
    public float cos(int position, int i) { return segment.get(F32, rowOffset(position) + 4L * i); }

    /** sin of frequency {@code i} at {@code position}. */
    public float sin(int position, int i) { return segment.get(F32, rowOffset(position) + 2L * rotaryDim + 4L * i); }
}
