package io.moe4j.bench;

import io.moe4j.engine.tensor.DType;

/**
 * What one forward call had to move and compute.
 *
 * @param bytes weight bytes of the experts the batch actually used (each read at least once; a lower bound on
 *              traffic, and what decode is bound by)
 * @param flops 2·3·D·F per (token, expert) assignment: w1 and w3 [F, D] and w2 [D, F] on one row each
 */
public record RowCost(long bytes, double flops) {

    /** The cost of a call whose router sent {@code expertLoad[e]} rows to expert e. */
    public static RowCost of(LayerShape shape, DType weights, long[] expertLoad) {
        if (expertLoad.length != shape.experts()) {
            throw new IllegalArgumentException(expertLoad.length + " expert loads for " + shape.experts() + " experts");
        }
        long expertBytes = weights.bytesFor(shape.expertElements());
        long bytes = 0;
        double assignments = 0;
        for (long load : expertLoad) {
            if (load > 0) bytes += expertBytes;
            assignments += load;
        }
        return new RowCost(bytes, assignments * 2.0 * shape.expertElements());
    }
}
