package io.moe4j.engine.backend.cpu;

/**
 * How {@link CpuBackend#matmul} computes a product with block-quantized weights. It picks one by M
 * ({@link CpuBackend#quantPath}); {@link CpuBackend#matmul(io.moe4j.engine.tensor.Tensor,
 * io.moe4j.engine.tensor.Tensor, io.moe4j.engine.tensor.Tensor, QuantPath)} forces one, for benchmarks and tests.
 */
public enum QuantPath {
    /** Our Vector API GEMV over the blocks in place, float32 x: exact weights ({@code quant.QuantGemv}). */
    GEMV,
    /** x rounded to 8-bit codes per block of 32, integer dot products per block, as ggml (Q8_0 and Q4_0 only). */
    INT8_DOT,
    /** Column blocks of W dequantized exactly into F32 scratch, each multiplied by oneDNN f32. */
    DEQUANTIZED_ONEDNN
}
