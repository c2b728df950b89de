package io.moe4j.models.gguf;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.gguf.GgufValue;
import io.moe4j.models.format.gguf.GgufWriter;
import io.moe4j.models.hf.ModelConfig;

import java.lang.foreign.Arena;
import java.util.function.Function;

/**
 * Writes a DBRX checkpoint (HF tensor names) as an F32 GGUF of arch {@code dbrx} the way llama.cpp's converter
 * does: HF names mapped to ggml's, {@code w1}/{@code v1} viewed as {@code [E, F, D]}, {@code w2} viewed as
 * {@code [E, F, D]} and permuted (0, 2, 1) to {@code [E, D, F]}; q/k are not permuted for this arch.
 */
final class DbrxGguf {
    private DbrxGguf() {}

    static GgufWriter writer(ModelConfig c, Function<String, Tensor> hf, Arena arena) {
        GgufWriter w = new GgufWriter();
        w.metadata("general.architecture", GgufValue.string("dbrx"));
        w.metadata("dbrx.context_length", GgufValue.uint32(c.maxPositions()));
        w.metadata("dbrx.embedding_length", GgufValue.uint32(c.hidden()));
        w.metadata("dbrx.block_count", GgufValue.uint32(c.layers()));
        w.metadata("dbrx.feed_forward_length", GgufValue.uint32(c.ffn()));
        w.metadata("dbrx.attention.head_count", GgufValue.uint32(c.heads()));
        w.metadata("dbrx.attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        w.metadata("dbrx.rope.freq_base", GgufValue.float32((float) c.ropeTheta()));
        w.metadata("dbrx.attention.clamp_kqv", GgufValue.float32(c.clipQkv()));
        w.metadata("dbrx.expert_count", GgufValue.uint32(c.experts()));
        w.metadata("dbrx.expert_used_count", GgufValue.uint32(c.topK()));
        w.metadata("dbrx.attention.layer_norm_epsilon", GgufValue.float32(1e-5f));
        long e = c.experts(), f = c.ffn(), d = c.hidden();
        w.add("token_embd.weight", hf.apply("transformer.wte.weight"));
        for (int l = 0; l < c.layers(); l++) {
            String p = "transformer.blocks." + l + ".", a = p + "norm_attn_norm.", b = "blk." + l + ".";
            w.add(b + "attn_norm.weight", hf.apply(a + "norm_1.weight"));
            w.add(b + "attn_qkv.weight", hf.apply(a + "attn.Wqkv.weight"));
            w.add(b + "attn_output.weight", hf.apply(a + "attn.out_proj.weight"));
            w.add(b + "attn_output_norm.weight", hf.apply(a + "norm_2.weight"));
            w.add(b + "ffn_gate_inp.weight", hf.apply(p + "ffn.router.layer.weight"));
            w.add(b + "ffn_gate_exps.weight", hf.apply(p + "ffn.experts.mlp.w1").reshape(e, f, d));
            w.add(b + "ffn_up_exps.weight", hf.apply(p + "ffn.experts.mlp.v1").reshape(e, f, d));
            Tensor down = Tensor.allocate(arena, DType.F32, e, d, f);
            hf.apply(p + "ffn.experts.mlp.w2").reshape(e, f, d).transpose(1, 2).copyTo(down);
            w.add(b + "ffn_down_exps.weight", down);
        }
        w.add("output_norm.weight", hf.apply("transformer.norm_f.weight"));
        w.add("output.weight", hf.apply("lm_head.weight"));
        return w;
    }
}
