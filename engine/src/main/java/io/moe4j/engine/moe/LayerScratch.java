package io.moe4j.engine.moe;

import io.moe4j.engine.tensor.RowViews;

import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * Everything one thread's forward call writes besides its output, sized for a batch of up to {@link #capacity}
 * tokens and reused: native row buffers (gathered inputs, expert hidden states, expert outputs, router logits)
 * with prefix views, and small Java arrays for routing. A larger batch replaces the buffers once; after that a
 * call allocates nothing. The arena is shared because the backend's worker threads read these rows.
 */
final class LayerScratch implements AutoCloseable {
    final int capacity;
    private final Arena arena = Arena.ofShared();

    final RowViews gathered;    // [T, D] the rows routed to one expert
    final RowViews expertOut;   // [T, D] that expert's outputs
    final RowViews denseOut;    // [T, D] the dense FFN of conditional routing
    final RowViews logits;      // [T, max(E, G, E·S)] router logits
    final RowViews noiseLogits; // [T, E] noisy_topk's Wn·x
    final RowViews groupLogits; // [T, E] hierarchical's group routers
    final Tensor slotsIn;       // soft: [E·S, D] slot inputs
    final Tensor slotsOut;      // soft: [E·S, D] slot outputs
    final Tensor[] slotIn;      // soft: expert e's [S, D] block of slotsIn
    final Tensor[] slotOut;
    private final int[] ffnSizes;
    private final RowViews[] hidden;
    private final RowViews[] gate;

    // Routing arrays.
    final float[] row;
    final float[] prob;
    final float[] aux;
    final float[] weights;
    final int[] top;
    final int[] groupTop;
    final boolean[] taken;
    final float[] batchProb;   // expert_choice and soft: [T × max(E, E·S)]
    final Choices choices = new Choices();
    final Assignments assignments = new Assignments();
    final long[] load;
    final int[] count;
    final int[] offset;
    final int[] order;
    final LossAccumulator losses;
    final RoutingStats stats;

    LayerScratch(int capacity, int d, int numExperts, int routerWidth, int[] ffnSizes, int perToken, int slots) {
        this.capacity = capacity;
        int slotRows = numExperts * slots;
        slotsIn = RowViews.allocate(arena, slotRows, d);
        slotsOut = RowViews.allocate(arena, slotRows, d);
        slotIn = new Tensor[slots > 0 ? numExperts : 0];
        slotOut = new Tensor[slotIn.length];
        for (int e = 0; e < slotIn.length; e++) {
            slotIn[e] = slotsIn.slice(0, (long) e * slots, (long) (e + 1) * slots);
            slotOut[e] = slotsOut.slice(0, (long) e * slots, (long) (e + 1) * slots);
        }
        gathered = new RowViews(RowViews.allocate(arena, capacity, d), d);
        expertOut = new RowViews(RowViews.allocate(arena, capacity, d), d);
        denseOut = new RowViews(RowViews.allocate(arena, capacity, d), d);
        logits = new RowViews(RowViews.allocate(arena, capacity, routerWidth), routerWidth);
        noiseLogits = new RowViews(RowViews.allocate(arena, capacity, numExperts), numExperts);
        groupLogits = new RowViews(RowViews.allocate(arena, capacity, numExperts), numExperts);
        this.ffnSizes = ffnSizes.clone();
        int maxF = 1;
        for (int f : ffnSizes) maxF = Math.max(maxF, f);
        int hiddenRows = Math.max(capacity, slots);
        var hiddenBuffer = RowViews.allocate(arena, hiddenRows, maxF);
        var gateBuffer = RowViews.allocate(arena, hiddenRows, maxF);
        hidden = new RowViews[ffnSizes.length];
        gate = new RowViews[ffnSizes.length];
        for (int i = 0; i < ffnSizes.length; i++) {
            hidden[i] = new RowViews(hiddenBuffer, ffnSizes[i]);
            gate[i] = new RowViews(gateBuffer, ffnSizes[i]);
        }
        int width = Math.max(routerWidth, numExperts);
        row = new float[width];
        prob = new float[width];
        aux = new float[width];
        weights = new float[width];
        top = new int[width];
        groupTop = new int[width];
        taken = new boolean[Math.max(width, capacity)];
        batchProb = new float[capacity * width];
        load = new long[numExperts];
        count = new int[numExperts];
        offset = new int[numExperts + 1];
        order = new int[capacity * Math.max(perToken, 1)];
        losses = new LossAccumulator(numExperts);
        stats = new RoutingStats(numExperts);
    }

    RowViews hidden(int ffnSize) { return hidden[indexOf(ffnSize)]; }

    RowViews gate(int ffnSize) { return gate[indexOf(ffnSize)]; }

    private int indexOf(int ffnSize) {
        for (int i = 0; i < ffnSizes.length; i++) if (ffnSizes[i] == ffnSize) return i;
        throw new IllegalStateException("no scratch for FFN width " + ffnSize);
    }

    @Override
    public void close() {
        arena.close();
    }
}
