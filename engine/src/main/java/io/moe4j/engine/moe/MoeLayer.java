package io.moe4j.engine.moe;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.kernels.Elementwise;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One MoE layer as the contract ({@code moe-semantics.md}) defines it: a router, E experts, and optionally shared
 * experts, a shared-expert gate and NLLB conditional routing around them.
 *
 * <p>What a service embeds: create it once, call {@link #forward} from any number of threads with separate inputs
 * and outputs, close it when done. Each calling thread gets its own scratch on its first call (and a larger one
 * when a larger batch arrives); after that a call allocates nothing on the Java heap. Weights stay owned by whoever
 * loaded them; the layer owns only its float32 router copies and scratch.
 *
 * <pre>
 * forward(x [T, D]) → y [T, D]
 *   route          router logits h = Wg·x (float32) → top-k / capacity / expert choice → assignments
 *   dispatch       counting sort by expert → gather rows → w1, w3 → silu·mul → w2 → scatter-add g · out
 *   shared         y += sigmoid(shared_gate · x) · Σ_s f_s(x)
 *   conditional    y = (1 − g)·FFN_dense(x) + g·y,  g = sigmoid(cmr · x + b)
 * </pre>
 */
public final class MoeLayer implements AutoCloseable {
    private final Backend backend;
    private final MoeConfig config;
    private final MoeWeights weights;
    private final int d;
    private final Arena arena = Arena.ofShared();
    private final RouterTensors tensors;
    private final Ffn[] experts;
    private final Ffn[] shared;
    private final Ffn dense;
    private final Router router;
    private final SoftMoe soft;
    private final Dispatch dispatch;
    private final int[] ffnSizes;
    private final int routerWidth;
    private final int assignmentsPerToken;
    private final AtomicLong calls = new AtomicLong();
    private final ThreadLocal<LayerScratch> scratch = new ThreadLocal<>();
    private final Queue<LayerScratch> allScratch = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private MoeLayer(Backend backend, MoeConfig config, MoeWeights weights) {
        this.backend = backend;
        this.config = config;
        this.weights = weights;
        this.d = (int) LayerShapes.check(config, weights);
        try {
            this.tensors = RouterTensors.of(weights, arena);
            this.experts = ffns(weights.experts(), config.activation());
            this.shared = ffns(weights.shared(), config.activation());
            this.dense = weights.dense() == null ? null : new Ffn(weights.dense(), config.activation(), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        this.router = switch (config.router()) {
            case SOFTMAX_TOPK, DENSE, NOISY_TOPK, SWITCH -> new TopKRouter(backend, config, tensors);
            case HASH -> new HashRouter(backend, config, tensors, weights.hashTable());
            case HIERARCHICAL -> new HierarchicalRouter(backend, config, tensors);
            case EXPERT_CHOICE -> new ExpertChoiceRouter(backend, config, tensors);
            case SOFT -> null;
        };
        this.soft = config.router() == RouterKind.SOFT ? new SoftMoe(backend, config, tensors, experts) : null;
        this.dispatch = new Dispatch(backend, experts);
        this.ffnSizes = distinctFfnSizes();
        this.routerWidth = switch (config.router()) {
            case SOFT -> config.numExperts() * config.slots();
            case HIERARCHICAL -> config.groups();
            default -> config.numExperts();
        };
        this.assignmentsPerToken = config.router() == RouterKind.EXPERT_CHOICE ? config.numExperts() : config.choicesPerToken();
    }

    /**
     * A layer over {@code weights} computed by {@code backend}.
     *
     * @throws IllegalArgumentException naming the tensor (by its layer-file name) whose shape or dtype does not fit
     */
    public static MoeLayer create(Backend backend, MoeConfig config, MoeWeights weights) {
        return new MoeLayer(backend, config, weights);
    }

    public MoeConfig config() { return config; }

    public MoeWeights weights() { return weights; }

    /** D, the model width. */
    public long modelSize() { return d; }

    /**
     * Computes the layer for a batch.
     *
     * @param x        F32 {@code [T, D]} (rows contiguous; a row stride is allowed)
     * @param tokenIds I32 {@code [T]}; required by the {@code hash} router, ignored otherwise (may be null)
     * @param y        F32 {@code [T, D]}, overwritten
     * @param stats    overwritten with this call's routing statistics; may be null
     */
    public void forward(Tensor x, Tensor tokenIds, Tensor y, RoutingStats stats) {
        forward(x, tokenIds, y, stats, null);
    }

    /**
     * As {@link #forward(Tensor, Tensor, Tensor, RoutingStats)}, also recording where the tokens went.
     *
     * @param trace overwritten with this call's routing map; may be null
     */
    public void forward(Tensor x, Tensor tokenIds, Tensor y, RoutingStats stats, RoutingTrace trace) {
        if (closed) throw new IllegalStateException("the MoE layer is closed");
        checkOperands(x, tokenIds, y);
        int tokens = (int) x.dim(0);
        LayerScratch s = scratch(tokens);
        RoutingStats st = stats != null ? stats : s.stats;
        if (st.numExperts() != config.numExperts()) {
            throw new IllegalArgumentException("stats hold " + st.numExperts() + " experts, the layer has " + config.numExperts());
        }
        if (trace != null) {
            if (trace.experts() != config.numExperts()) {
                throw new IllegalArgumentException("trace holds " + trace.experts() + " experts, the layer has " + config.numExperts());
            }
            trace.begin(tokens);
        }
        st.reset();
        long call = calls.getAndIncrement();
        zero(y, tokens);
        if (tokens == 0) return;
        if (soft != null) {
            soft.forward(x, tokens, y, s, st, trace);
        } else {
            router.route(x, tokens, tokenIds, call, s, st);
            if (trace != null) {
                Assignments a = s.assignments;
                for (int i = 0; i < a.count; i++) trace.add(a.token[i], a.expert[i], a.weight[i]);
            }
            dispatch.run(x, s.assignments, y, s);
        }
        addShared(x, tokens, y, s);
        if (dense != null) mixWithDense(x, tokens, y, s);
    }

    /** Allocating convenience form of {@link #forward(Tensor, Tensor, Tensor, RoutingStats)}. */
    public RoutingStats forward(Tensor x, Tensor tokenIds, Tensor y) {
        RoutingStats stats = new RoutingStats(config.numExperts());
        forward(x, tokenIds, y, stats);
        return stats;
    }

    private void checkOperands(Tensor x, Tensor tokenIds, Tensor y) {
        if (x.rank() != 2 || x.dim(1) != d) throw new IllegalArgumentException("x must be [T, " + d + "], got " + x);
        x.requireDType(DType.F32, "x");
        y.requireDType(DType.F32, "y").requireShape("y", x.dim(0), d);
        if (x.dim(0) > Integer.MAX_VALUE / Math.max(1, assignmentsPerToken)) {
            throw new IllegalArgumentException("batch of " + x.dim(0) + " tokens is too large");
        }
        if ((d > 1 && (x.stride(1) != 1 || y.stride(1) != 1))) {
            throw new IllegalArgumentException("x and y need contiguous rows, got " + x + " and " + y);
        }
        if (config.router() == RouterKind.HASH) {
            if (tokenIds == null) throw new IllegalArgumentException("the hash router needs token ids");
            tokenIds.requireDType(DType.I32, "token ids").requireShape("token ids", x.dim(0)).requireContiguous("token ids");
        }
    }

    private void addShared(Tensor x, int tokens, Tensor y, LayerScratch s) {
        if (shared.length == 0) return;
        Tensor out = s.expertOut.rows(tokens);
        long d4 = 4L * d;
        for (Ffn f : shared) {
            f.run(backend, x, s.hidden(f.ffnSize).rows(tokens), s.gate(f.ffnSize).rows(tokens), out, tokens);
            for (int t = 0; t < tokens; t++) {
                float g = tensors.sharedGate() == null ? 1f
                        : sigmoid(Elementwise.dot(tensors.sharedGate().segment(), 0, x.segment(), 4 * t * x.stride(0), d));
                Elementwise.axpy(g, out.segment(), t * d4, y.segment(), 4 * t * y.stride(0), d);
            }
        }
    }

    private void mixWithDense(Tensor x, int tokens, Tensor y, LayerScratch s) {
        Tensor out = s.denseOut.rows(tokens);
        dense.run(backend, x, s.hidden(dense.ffnSize).rows(tokens), s.gate(dense.ffnSize).rows(tokens), out, tokens);
        for (int t = 0; t < tokens; t++) {
            long yo = 4 * t * y.stride(0);
            float g = sigmoid(Elementwise.dot(tensors.cmrWeight().segment(), 0, x.segment(), 4 * t * x.stride(0), d)
                    + tensors.cmrBias());
            Elementwise.scale(y.segment(), yo, g, y.segment(), yo, d);
            Elementwise.axpy(1 - g, out.segment(), 4L * t * d, y.segment(), yo, d);
        }
    }

    private static float sigmoid(float z) {
        return (float) (1 / (1 + Math.exp(-z)));
    }

    private static void zero(Tensor y, int tokens) {
        for (int t = 0; t < tokens; t++) Elementwise.zero(y.segment(), 4 * t * y.stride(0), y.dim(1));
    }

    private LayerScratch scratch(int tokens) {
        LayerScratch s = scratch.get();
        if (s != null && s.capacity >= tokens) return s;
        int capacity = Math.max(tokens, s == null ? 1 : Math.min(Integer.MAX_VALUE / 2, s.capacity * 2));
        LayerScratch grown = new LayerScratch(capacity, d, config.numExperts(), routerWidth, ffnSizes,
                assignmentsPerToken, config.router() == RouterKind.SOFT ? config.slots() : 0);
        if (s != null) {
            allScratch.remove(s);
            s.close();
        }
        scratch.set(grown);
        allScratch.add(grown);
        if (closed) close();
        return grown;
    }

    private Ffn[] ffns(List<Expert> list, Activation activation) {
        Ffn[] out = new Ffn[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = new Ffn(list.get(i), activation, arena);
        return out;
    }

    private int[] distinctFfnSizes() {
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>();
        for (Ffn f : experts) sizes.add(f.ffnSize);
        for (Ffn f : shared) sizes.add(f.ffnSize);
        if (dense != null) sizes.add(dense.ffnSize);
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Frees the router copies and every thread's scratch. Calls still running on other threads must finish first. */
    @Override
    public void close() {
        closed = true;
        LayerScratch s;
        while ((s = allScratch.poll()) != null) s.close();
        if (arena.scope().isAlive()) arena.close();
    }
}
