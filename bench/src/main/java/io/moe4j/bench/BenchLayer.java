package io.moe4j.bench;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * One MoE layer of a benchmark shape with {@link RandomWeights} made in memory (no file): expert weights in the
 * row's dtype, router tensors in float32. Owns its weights; {@link #close()} frees them with the layer.
 */
public final class BenchLayer implements AutoCloseable {
    /** Vocabulary of the hash router's table (the size of Mixtral's). */
    public static final int HASH_VOCAB = 32000;

    private final Arena arena;
    private final MoeLayer layer;
    private final LayerShape shape;
    private final DType dtype;
    private final long seed;

    private BenchLayer(Arena arena, MoeLayer layer, LayerShape shape, DType dtype, long seed) {
        this.arena = arena;
        this.layer = layer;
        this.shape = shape;
        this.dtype = dtype;
        this.seed = seed;
    }

    /**
     * @param pool     fills the weights in parallel
     * @param progress advanced by weight bytes as they are made
     */
    public static BenchLayer create(Backend backend, WorkerPool pool, LayerShape shape, DType dtype, RouterSpec router,
                                    long seed, Progress progress) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new IllegalArgumentException("no random " + dtype.name().toLowerCase() + " weights (f32, bf16, f16)");
        }
        MoeConfig config = router.config(shape);
        Arena arena = Arena.ofShared();
        try {
            int d = shape.model(), f = shape.ffn(), e = shape.experts();
            progress.start("weights " + shape.name() + " " + dtype.name().toLowerCase(), dtype.bytesFor(shape.expertElements() * e));
            List<Expert> experts = new ArrayList<>(e);
            for (int i = 0; i < e; i++) {
                experts.add(Expert.swiglu(
                        RandomFill.allocate(pool, arena, dtype, f, d, seed, RandomWeights.w1(i), RandomWeights.EXPERT_SCALE, progress),
                        RandomFill.allocate(pool, arena, dtype, f, d, seed, RandomWeights.w3(i), RandomWeights.EXPERT_SCALE, progress),
                        RandomFill.allocate(pool, arena, dtype, d, f, seed, RandomWeights.w2(i), RandomWeights.EXPERT_SCALE, progress)));
            }
            progress.finish();
            MoeWeights weights = routerWeights(pool, arena, shape, config, seed, experts);
            return new BenchLayer(arena, MoeLayer.create(backend, config, weights), shape, dtype, seed);
        } catch (RuntimeException | Error ex) {
            progress.finish();
            arena.close();
            throw ex;
        }
    }

    private static MoeWeights routerWeights(WorkerPool pool, Arena arena, LayerShape shape, MoeConfig config, long seed,
                                            List<Expert> experts) {
        int d = shape.model(), e = shape.experts();
        long stream = RandomWeights.ROUTER;
        float scale = RandomWeights.ROUTER_SCALE;
        return switch (config.router()) {
            case HIERARCHICAL -> {
                int g = config.groups();
                Tensor top = RandomFill.allocate(pool, arena, DType.F32, g, d, seed, stream, scale, Progress.NONE);
                List<Tensor> groups = new ArrayList<>(g);
                for (int i = 0; i < g; i++) {
                    groups.add(RandomFill.allocate(pool, arena, DType.F32, e / g, d, seed, stream + 10 + i, scale, Progress.NONE));
                }
                yield new MoeWeights(top, null, null, groups, null, null, experts, null, null, null, null, null);
            }
            case SOFT -> new MoeWeights(null, null, null, null,
                    RandomFill.allocate(pool, arena, DType.F32, (long) e * config.slots(), d, seed, stream + 2, scale, Progress.NONE),
                    null, experts, null, null, null, null, null);
            case HASH -> new MoeWeights(null, null, null, null, null, hashTable(arena, e, seed), experts, null, null, null, null, null);
            case NOISY_TOPK -> new MoeWeights(
                    RandomFill.allocate(pool, arena, DType.F32, e, d, seed, stream, scale, Progress.NONE), null,
                    RandomFill.allocate(pool, arena, DType.F32, e, d, seed, stream + 1, scale, Progress.NONE),
                    null, null, null, experts, null, null, null, null, null);
            default -> MoeWeights.of(RandomFill.allocate(pool, arena, DType.F32, e, d, seed, stream, scale, Progress.NONE), experts);
        };
    }

    /** hash.table [V]: token id → expert, uniform over experts. */
    private static Tensor hashTable(Arena arena, int experts, long seed) {
        Tensor table = Tensor.allocate(arena, DType.I32, HASH_VOCAB);
        for (int id = 0; id < HASH_VOCAB; id++) {
            float u = RandomWeights.value(seed, RandomWeights.ROUTER + 3, id, 1f) * 0.5f + 0.5f; // [0, 1)
            table.segment().setAtIndex(ValueLayout.JAVA_INT, id, Math.min(experts - 1, (int) (u * experts)));
        }
        return table;
    }

    public MoeLayer layer() { return layer; }

    public LayerShape shape() { return shape; }

    public DType dtype() { return dtype; }

    /** x {@code [T, D]}, float32, the same values for every dtype of the same seed. */
    public Tensor input(Arena arena, WorkerPool pool, int tokens) {
        return RandomFill.allocate(pool, arena, DType.F32, tokens, shape.model(), seed, RandomWeights.INPUT,
                RandomWeights.INPUT_SCALE, Progress.NONE);
    }

    /** One row's operands: x {@code [T, D]} ({@link #input}), token ids ({@link #tokenIds}), y {@code [T, D]}. */
    public record Batch(Tensor x, Tensor ids, Tensor y) {}

    /** The batch of T tokens every run of a row uses, in {@code arena} (shared: the pool's threads fill x). */
    public Batch batch(Arena arena, WorkerPool pool, int tokens) {
        return new Batch(input(arena, pool, tokens), tokenIds(arena, tokens),
                Tensor.allocate(arena, DType.F32, tokens, shape.model()));
    }

    /** Token ids {@code [T]} for the hash router (null for the others, which ignore them). */
    public Tensor tokenIds(Arena arena, int tokens) {
        if (layer.config().router() != RouterKind.HASH) return null;
        Tensor ids = Tensor.allocate(arena, DType.I32, tokens);
        for (int t = 0; t < tokens; t++) {
            float u = RandomWeights.value(seed, RandomWeights.INPUT + 1, t, 1f) * 0.5f + 0.5f;
            ids.segment().setAtIndex(ValueLayout.JAVA_INT, t, Math.min(HASH_VOCAB - 1, (int) (u * HASH_VOCAB)));
        }
        return ids;
    }

    @Override
    public void close() {
        layer.close();
        if (arena.scope().isAlive()) arena.close();
    }
}
