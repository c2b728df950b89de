package io.moe4j.models.hf;

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

import java.util.ArrayList;
import java.util.List;

/**
 * {@code DbrxForCausalLM}: LayerNorm without bias (eps 1e-5); fused {@code Wqkv} clamped to ±{@code clip_qkv}
 * before the split and RoPE; experts fused as {@code ffn.experts.mlp.w1 / v1 / w2}, each {@code [E·F, D]} with
 * expert e = rows e·F … (e+1)·F, used as views; w2 applied untransposed ({@code h · w2_e}, a K-major weight);
 * router softmax, top-k, then division by the p-norm, p = {@code moe_normalize_expert_weights}.
 */
final class DbrxArchitecture implements Architecture {

    @Override
    public ModelConfig config(ConfigJson c) {
        int hidden = c.integer("d_model");
        int heads = c.integer("n_heads");
        if (heads == 0 || hidden % heads != 0) {
            throw new FormatException(c.file(), "d_model " + hidden + " is not divisible by n_heads " + heads);
        }
        return new ModelConfig("DbrxForCausalLM", hidden, c.integer("n_layers"), heads,
                c.integer("attn_config.kv_n_heads", 1), hidden / heads, c.integer("ffn_config.ffn_hidden_size"),
                c.integer("ffn_config.moe_num_experts"), c.integer("ffn_config.moe_top_k"), normalization(c),
                c.integer("vocab_size"), c.number("attn_config.rope_theta", 10000), Norm.Kind.LAYER, 1e-5f, 0,
                (float) c.number("attn_config.clip_qkv", 0), c.integer("max_seq_len", 2048),
                c.integer("bos_token_id", -1), c.ids("eos_token_id"), c.bool("tie_word_embeddings", false));
    }

    /** p of {@code moe_normalize_expert_weights}: 1 (or 1.0) = sum, 2 = L2, null = none. */
    private static Normalize normalization(ConfigJson c) {
        if (!c.has("ffn_config.moe_normalize_expert_weights")) {
            return c.node("ffn_config") != null && c.node("ffn_config").has("moe_normalize_expert_weights")
                    ? Normalize.NONE : Normalize.L1;
        }
        double p = c.number("ffn_config.moe_normalize_expert_weights", 1);
        if (p == 1) return Normalize.L1;
        if (p == 2) return Normalize.L2;
        throw new FormatException(c.file(), "ffn_config.moe_normalize_expert_weights = " + p
                + " is not supported (1, 2 or null)");
    }

    @Override
    public Transformer build(ModelConfig m, CheckpointTensors t, Backend backend) {
        AttentionSpec spec = new AttentionSpec(m.heads(), m.kvHeads(), m.headDim(), m.ropeTheta(), 0, m.clipQkv());
        MoeConfig moe = new MoeConfig(RouterKind.SOFTMAX_TOPK, m.experts(), m.topK(), Activation.SWIGLU,
                m.moeNormalize(), Double.NaN, 1, 1, 0, SecondExpert.TOP, false, 0);
        long d = m.hidden(), f = m.ffn(), e = m.experts();
        List<DecoderBlock> blocks = new ArrayList<>();
        for (int l = 0; l < m.layers(); l++) {
            String p = "transformer.blocks." + l + ".";
            String a = p + "norm_attn_norm.";
            AttentionWeights attention = new AttentionWeights(null, null, null,
                    t.weight(a + "attn.Wqkv.weight", spec.qkvWidth(), d), t.weight(a + "attn.out_proj.weight", d, spec.qWidth()));
            Tensor w1 = t.weight(p + "ffn.experts.mlp.w1", e * f, d);
            Tensor v1 = t.weight(p + "ffn.experts.mlp.v1", e * f, d);
            Tensor w2 = t.weight(p + "ffn.experts.mlp.w2", e * f, d);
            List<Expert> experts = new ArrayList<>();
            for (int x = 0; x < e; x++) {
                experts.add(Expert.swiglu(w1.slice(0, x * f, (x + 1) * f), v1.slice(0, x * f, (x + 1) * f),
                        w2.slice(0, x * f, (x + 1) * f).transpose(0, 1)));
            }
            MoeWeights weights = MoeWeights.of(t.weight(p + "ffn.router.layer.weight", e, d), experts);
            blocks.add(new DecoderBlock(
                    new Norm(Norm.Kind.LAYER, t.f32(a + "norm_1.weight", d), m.normEps()),
                    new Attention(spec, attention, l),
                    new Norm(Norm.Kind.LAYER, t.f32(a + "norm_2.weight", d), m.normEps()),
                    MoeLayer.create(backend, moe, weights)));
        }
        Tensor embedding = t.weight("transformer.wte.weight", m.vocab(), d);
        Tensor head = m.tiedEmbeddings() && !t.contains("lm_head.weight") ? embedding : t.weight("lm_head.weight", m.vocab(), d);
        return new Transformer(backend, embedding, blocks,
                new Norm(Norm.Kind.LAYER, t.f32("transformer.norm_f.weight", d), m.normEps()), head, spec);
    }
}
