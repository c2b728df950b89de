package io.moe4j.models.gguf;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.engine.nn.Attention;
import io.moe4j.engine.nn.AttentionSpec;
import io.moe4j.engine.nn.AttentionWeights;
import io.moe4j.engine.nn.DecoderBlock;
import io.moe4j.engine.nn.Norm;
import io.moe4j.engine.nn.Transformer;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.gguf.GgufFile;
import io.moe4j.models.format.gguf.GgufMetadata;
import io.moe4j.models.hf.ModelConfig;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * GGUF arch {@code dbrx} mapped onto the engine's DBRX transformer: LayerNorm without bias, fused {@code attn_qkv}
 * clamped to ±{@code dbrx.attention.clamp_kqv}, softmax top-k routing renormalised to sum 1.
 *
 * <p>Expert layout: HF stores {@code w2} as {@code [E·F, D]} and the engine applies it K-major (a transposed view).
 * llama.cpp's converter instead permutes it to {@code ffn_down_exps} {@code [E, D, F]} (row-major), so here
 * expert e's down projection is a plain row-major {@code [D, F]} view of its slab — the Mixtral layout, which
 * also lets it be block-quantized (rows of whole blocks along F). Gate and up ({@code ffn_gate_exps},
 * {@code ffn_up_exps}) are {@code [E, F, D]}, the HF bytes regrouped. The q/k rows are not permuted for this arch
 * (llama.cpp runs DBRX with NeoX, i.e. half-split, RoPE), so nothing is undone.
 *
 * <p>GGUF does not carry {@code moe_normalize_expert_weights}; llama.cpp normalises DBRX's routing weights by their
 * sum, which is the released models' value (p = 1), so the layer uses L1.
 */
final class GgufDbrx {
    static final String ARCH = "dbrx";

    private GgufDbrx() {}

    static ModelConfig config(GgufFile file) {
        GgufMetadata m = file.metadata();
        String p = ARCH + ".";
        int hidden = m.getInt(p + "embedding_length");
        int heads = m.getInt(p + "attention.head_count");
        int kvHeads = m.getInt(p + "attention.head_count_kv", heads);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0 || hidden % heads != 0 || (hidden / heads) % 2 != 0) {
            throw new FormatException(file.path(), p + "embedding_length " + hidden + ", " + p + "attention.head_count "
                    + heads + " and " + p + "attention.head_count_kv " + kvHeads + " do not give an even head size "
                    + "shared by whole key/value groups");
        }
        int experts = m.getInt(p + "expert_count");
        int topK = m.getInt(p + "expert_used_count");
        if (experts <= 0 || topK <= 0 || topK > experts) {
            throw new FormatException(file.path(), p + "expert_used_count " + topK + " must be in 1.." + p + "expert_count " + experts);
        }
        int vocab = GgufLlama.vocabulary(file, hidden);
        int bos = m.getInt("tokenizer.ggml.bos_token_id", -1);
        int[] eos = m.contains("tokenizer.ggml.eos_token_id") ? new int[]{m.getInt("tokenizer.ggml.eos_token_id")} : new int[0];
        return new ModelConfig(ARCH, hidden, m.getInt(p + "block_count"), heads, kvHeads, hidden / heads,
                m.getInt(p + "feed_forward_length"), experts, topK, Normalize.L1, vocab,
                m.getDouble(p + "rope.freq_base", 10000), Norm.Kind.LAYER, m.getFloat(p + "attention.layer_norm_epsilon"),
                0, m.getFloat(p + "attention.clamp_kqv", 0f), m.getInt(p + "context_length"), bos, eos,
                !file.contains("output.weight"));
    }

    static Transformer build(ModelConfig c, GgufFile file, Arena arena, Backend backend) {
        GgufTensors t = new GgufTensors(file, arena);
        AttentionSpec spec = new AttentionSpec(c.heads(), c.kvHeads(), c.headDim(), c.ropeTheta(), 0, c.clipQkv());
        MoeConfig moe = new MoeConfig(RouterKind.SOFTMAX_TOPK, c.experts(), c.topK(), Activation.SWIGLU, c.moeNormalize(),
                Double.NaN, 1, 1, 0, SecondExpert.TOP, false, 0);
        long d = c.hidden(), f = c.ffn(), e = c.experts();
        List<DecoderBlock> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            AttentionWeights attention = new AttentionWeights(null, null, null,
                    t.weight(p + "attn_qkv.weight", spec.qkvWidth(), d), t.weight(p + "attn_output.weight", d, spec.qWidth()));
            Tensor gate = t.weight(p + "ffn_gate_exps.weight", e, f, d);
            Tensor up = t.weight(p + "ffn_up_exps.weight", e, f, d);
            Tensor down = t.weight(p + "ffn_down_exps.weight", e, d, f);
            List<Expert> experts = new ArrayList<>();
            for (int x = 0; x < e; x++) {
                experts.add(Expert.swiglu(GgufTensors.expert(gate, x), GgufTensors.expert(up, x), GgufTensors.expert(down, x)));
            }
            MoeWeights weights = MoeWeights.of(t.f32(p + "ffn_gate_inp.weight", e, d), experts);
            blocks.add(new DecoderBlock(
                    new Norm(Norm.Kind.LAYER, t.f32(p + "attn_norm.weight", d), c.normEps()),
                    new Attention(spec, attention, l),
                    new Norm(Norm.Kind.LAYER, t.f32(p + "attn_output_norm.weight", d), c.normEps()),
                    MoeLayer.create(backend, moe, weights)));
        }
        Tensor embedding = t.weight("token_embd.weight", c.vocab(), d);
        Tensor head = c.tiedEmbeddings() ? embedding : t.weight("output.weight", c.vocab(), d);
        return new Transformer(backend, embedding, blocks,
                new Norm(Norm.Kind.LAYER, t.f32("output_norm.weight", d), c.normEps()), head, spec);
    }
}
