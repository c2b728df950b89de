package io.moe4j.engine.backend.cpu.quant;

import static io.moe4j.engine.backend.cpu.quant.QuantVectors.F32;

import java.lang.foreign.MemorySegment;

/**
 * Rows of x quantized for integer dot products ({@link QuantDot}): every block of 32 floats becomes 32 codes
 * {@code q = roundf(x / d)} in [-127, 127] with {@code d = amax / 127}, as ggml quantizes activations to Q8_0,
 * except that {@code d} stays a float32 (ggml rounds it to a half). The codes are kept widened to 16 bits, the
 * width the kernels multiply in, so they are widened once per call instead of once per weight row.
 *
 * <p>Grows to the largest M·K seen and is then reused: quantizing allocates nothing.
 */
final class Q8Activations {
    short[] q = new short[0];
    float[] d = new float[0];

    /** Quantizes the {@code m} rows of x ({@code xStride} bytes apart, {@code k} floats each, k a multiple of 32). */
    void quantize(MemorySegment x, long xOff, int m, long xStride, int k) {
        int size = m * k, blocks = size / 32;
        if (q.length < size) q = new short[size];
        if (d.length < blocks) d = new float[blocks];
        for (int i = 0; i < m; i++) {
            long row = xOff + i * xStride;
            for (int b = 0; b < k / 32; b++) {
                long s = row + 128L * b;
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x.get(F32, s + 4L * j)));
                float scale = amax / 127, inv = scale != 0 ? 1 / scale : 0;
                int o = i * k + 32 * b;
                d[o / 32] = scale;
                for (int j = 0; j < 32; j++) q[o + j] = (short) Q8_0.roundHalfAway(x.get(F32, s + 4L * j) * inv);
            }
        }
    }
}
