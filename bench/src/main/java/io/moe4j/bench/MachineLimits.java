package io.moe4j.bench;

/**
 * What this machine can do with the engine's thread count, measured in the same run as the rows it judges.
 *
 * @param readGbPerS   best of a few streaming reads over a buffer much larger than the last-level cache
 * @param fmaGflopPerS best of a few register-only vector FMA loops (an FMA counts as two FLOPs)
 */
public record MachineLimits(double readGbPerS, double fmaGflopPerS, int threads) {}
