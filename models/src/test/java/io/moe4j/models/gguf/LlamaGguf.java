package io.moe4j.models.gguf;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.gguf.GgufValue;
import io.moe4j.models.format.gguf.GgufWriter;
import io.moe4j.models.hf.ModelConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes a Mixtral checkpoint (HF tensor names, each tensor in the dtype given) as a GGUF of arch {@code llama} the
 * way llama.cpp's converter does: HF names mapped to ggml's, q/k rows permuted per head for interleaved RoPE, experts
 * stacked per layer as {@code ffn_{gate,up,down}_exps}. Keys and tensors named in {@code omit} are left out, to make broken files.
 */
final class LlamaGguf {
    private LlamaGguf() {}

    static GgufWriter writer(ModelConfig c, Function<String, Tensor> hf, Arena arena, String arch, Set<String> omit) {
        return writer(c, hf, arena, arch, omit, true);
    }

    /** As above; {@code permuteQk = false} stores q/k in HF's order, as a converter that forgot the permutation would. */
    static GgufWriter writer(ModelConfig c, Function<String, Tensor> hf, Arena arena, String arch, Set<String> omit,
                             boolean permuteQk) {
        Function<Tensor, Tensor> q = permuteQk ? t -> permute(t, c.heads(), arena) : t -> t;
        Function<Tensor, Tensor> k = permuteQk ? t -> permute(t, c.kvHeads(), arena) : t -> t;
        GgufWriter w = new GgufWriter();
        Map<String, GgufValue> meta = new LinkedHashMap<>();
        meta.put("general.architecture", GgufValue.string(arch));
        meta.put("llama.block_count", GgufValue.uint32(c.layers()));
        meta.put("llama.context_length", GgufValue.uint32(c.maxPositions()));
        meta.put("llama.embedding_length", GgufValue.uint32(c.hidden()));
        meta.put("llama.feed_forward_length", GgufValue.uint32(c.ffn()));
        meta.put("llama.attention.head_count", GgufValue.uint32(c.heads()));
        meta.put("llama.attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        meta.put("llama.rope.freq_base", GgufValue.float32((float) c.ropeTheta()));
        meta.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(c.normEps()));
        meta.put("llama.expert_count", GgufValue.uint32(c.experts()));
        meta.put("llama.expert_used_count", GgufValue.uint32(c.topK()));
        meta.forEach((key, v) -> { if (!omit.contains(key)) w.metadata(key, v); });
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("token_embd.weight", hf.apply("model.embed_tokens.weight"));
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".", b = "blk." + l + ".";
            tensors.put(b + "attn_norm.weight", hf.apply(p + "input_layernorm.weight"));
            tensors.put(b + "attn_q.weight", q.apply(hf.apply(p + "self_attn.q_proj.weight")));
            tensors.put(b + "attn_k.weight", k.apply(hf.apply(p + "self_attn.k_proj.weight")));
            tensors.put(b + "attn_v.weight", hf.apply(p + "self_attn.v_proj.weight"));
            tensors.put(b + "attn_output.weight", hf.apply(p + "self_attn.o_proj.weight"));
            tensors.put(b + "ffn_norm.weight", hf.apply(p + "post_attention_layernorm.weight"));
            tensors.put(b + "ffn_gate_inp.weight", hf.apply(p + "block_sparse_moe.gate.weight"));
            tensors.put(b + "ffn_gate_exps.weight", stack(hf, p, "w1", c.experts(), arena));
            tensors.put(b + "ffn_up_exps.weight", stack(hf, p, "w3", c.experts(), arena));
            tensors.put(b + "ffn_down_exps.weight", stack(hf, p, "w2", c.experts(), arena));
        }
        tensors.put("output_norm.weight", hf.apply("model.norm.weight"));
        tensors.put("output.weight", hf.apply("lm_head.weight"));
        tensors.forEach((name, t) -> { if (!omit.contains(name)) w.add(name, t); });
        return w;
    }

    /** llama.cpp's {@code permute} (whole rows, so any dtype): reshape(heads, 2, hd/2, D).swapaxes(1, 2) — row h·hd + s·hd/2 + i goes to h·hd + 2i + s. */
    static Tensor permute(Tensor w, int heads, Arena arena) {
        long rows = w.dim(0), cols = w.dim(1), hd = rows / heads, half = hd / 2, rowBytes = w.byteSize() / rows;
        Tensor out = Tensor.allocate(arena, w.dtype(), rows, cols);
        for (long h = 0; h < heads; h++) {
            for (long s = 0; s < 2; s++) {
                for (long i = 0; i < half; i++) {
                    MemorySegment.copy(w.segment(), (h * hd + s * half + i) * rowBytes, out.segment(), (h * hd + 2 * i + s) * rowBytes, rowBytes);
                }
            }
        }
        return out;
    }

    /** Experts {@code experts.e.NAME.weight} stacked along a new first dimension. */
    static Tensor stack(Function<String, Tensor> hf, String prefix, String name, int experts, Arena arena) {
        Tensor first = hf.apply(prefix + "block_sparse_moe.experts.0." + name + ".weight");
        Tensor out = Tensor.allocate(arena, first.dtype(), experts, first.dim(0), first.dim(1));
        for (int e = 0; e < experts; e++) {
            Tensor t = hf.apply(prefix + "block_sparse_moe.experts." + e + "." + name + ".weight");
            MemorySegment.copy(t.segment(), 0, out.segment(), e * t.byteSize(), t.byteSize());
        }
        return out;
    }

    /** Random F32 tensors under every HF name a Mixtral of config {@code c} has (values in [−0.1, 0.1)). */
    static Function<String, Tensor> random(ModelConfig c, Arena arena, long seed) {
        Random random = new Random(seed);
        long d = c.hidden(), q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim(), f = c.ffn();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[]{c.vocab(), d});
        shapes.put("model.norm.weight", new long[]{d});
        shapes.put("lm_head.weight", new long[]{c.vocab(), d});
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[]{d});
            shapes.put(p + "post_attention_layernorm.weight", new long[]{d});
            shapes.put(p + "self_attn.q_proj.weight", new long[]{q, d});
            shapes.put(p + "self_attn.k_proj.weight", new long[]{kv, d});
            shapes.put(p + "self_attn.v_proj.weight", new long[]{kv, d});
            shapes.put(p + "self_attn.o_proj.weight", new long[]{d, q});
            shapes.put(p + "block_sparse_moe.gate.weight", new long[]{c.experts(), d});
            for (int e = 0; e < c.experts(); e++) {
                String x = p + "block_sparse_moe.experts." + e + ".";
                shapes.put(x + "w1.weight", new long[]{f, d});
                shapes.put(x + "w3.weight", new long[]{f, d});
                shapes.put(x + "w2.weight", new long[]{d, f});
            }
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            Tensor t = Tensor.allocate(arena, DType.F32, shape);
            for (long i = 0, n = t.size(); i < n; i++) t.segment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (random.nextFloat() - 0.5f) * 0.2f);
            tensors.put(name, t);
        });
        return tensors::get;
    }
}
