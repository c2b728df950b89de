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

import java.util.ArrayList;
import java.util.List;

/**
 * {@code MixtralForCausalLM}: RMSNorm, GQA attention with rotate-half RoPE (optional sliding window), and the
 * {@code softmax_topk} l1 MoE layer ({@code block_sparse_moe.gate}, experts w1/w3/w2).
 */
final class MixtralArchitecture implements Architecture {

    @Override
    public ModelConfig config(ConfigJson c) {
        int hidden = c.integer("hidden_size");
        int heads = c.integer("num_attention_heads");
        if (heads == 0 || (!c.has("head_dim") && hidden % heads != 0)) {
            throw new io.moe4j.models.format.FormatException(c.file(), "hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
        }
        return new ModelConfig("MixtralForCausalLM", hidden, c.integer("num_hidden_layers"), heads,
                c.integer("num_key_value_heads", heads), c.integer("head_dim", hidden / heads),
                c.integer("intermediate_size"), c.integer("num_local_experts"), c.integer("num_experts_per_tok"),
                Normalize.L1, c.integer("vocab_size"), c.number("rope_theta", c.number("rope_parameters.rope_theta", 1e6)), Norm.Kind.RMS,
                (float) c.number("rms_norm_eps", 1e-5), c.integer("sliding_window", 0), 0f,
                c.integer("max_position_embeddings", 32768), c.integer("bos_token_id", -1), c.ids("eos_token_id"),
                c.bool("tie_word_embeddings", false));
    }

    @Override
    public Transformer build(ModelConfig m, CheckpointTensors t, Backend backend) {
        AttentionSpec spec = new AttentionSpec(m.heads(), m.kvHeads(), m.headDim(), m.ropeTheta(), m.slidingWindow(), 0f);
        MoeConfig moe = new MoeConfig(RouterKind.SOFTMAX_TOPK, m.experts(), m.topK(), Activation.SWIGLU, Normalize.L1,
                Double.NaN, 1, 1, 0, SecondExpert.TOP, false, 0);
        long d = m.hidden(), qw = (long) m.heads() * m.headDim(), kvw = (long) m.kvHeads() * m.headDim();
        List<DecoderBlock> blocks = new ArrayList<>();
        for (int l = 0; l < m.layers(); l++) {
            String p = "model.layers." + l + ".";
            AttentionWeights attention = new AttentionWeights(
                    t.weight(p + "self_attn.q_proj.weight", qw, d), t.weight(p + "self_attn.k_proj.weight", kvw, d),
                    t.weight(p + "self_attn.v_proj.weight", kvw, d), null, t.weight(p + "self_attn.o_proj.weight", d, qw));
            List<Expert> experts = new ArrayList<>();
            for (int e = 0; e < m.experts(); e++) {
                String x = p + "block_sparse_moe.experts." + e + ".";
                experts.add(Expert.swiglu(t.weight(x + "w1.weight", m.ffn(), d), t.weight(x + "w3.weight", m.ffn(), d),
                        t.weight(x + "w2.weight", d, m.ffn())));
            }
            MoeWeights weights = MoeWeights.of(t.weight(p + "block_sparse_moe.gate.weight", m.experts(), d), experts);
            blocks.add(new DecoderBlock(
                    new Norm(Norm.Kind.RMS, t.f32(p + "input_layernorm.weight", d), m.normEps()),
                    new Attention(spec, attention, l),
                    new Norm(Norm.Kind.RMS, t.f32(p + "post_attention_layernorm.weight", d), m.normEps()),
                    MoeLayer.create(backend, moe, weights)));
        }
        var embedding = t.weight("model.embed_tokens.weight", m.vocab(), d);
        var head = m.tiedEmbeddings() && !t.contains("lm_head.weight") ? embedding : t.weight("lm_head.weight", m.vocab(), d);
        return new Transformer(backend, embedding, blocks,
                new Norm(Norm.Kind.RMS, t.f32("model.norm.weight", d), m.normEps()), head, spec);
    }
}
