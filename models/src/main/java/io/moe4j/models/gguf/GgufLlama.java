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
import io.moe4j.models.format.gguf.GgufTensorInfo;
import io.moe4j.models.hf.ModelConfig;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * GGUF arch {@code llama} with experts — how llama.cpp's converter writes Mixtral — mapped onto the engine's Mixtral
 * transformer: RMSNorm, GQA attention with RoPE, softmax top-k routing renormalised to sum 1, SwiGLU experts.
 *
 * <p>Experts are stacked per layer as {@code ffn_gate_exps}/{@code ffn_up_exps} {@code [E, F, D]} and
 * {@code ffn_down_exps} {@code [E, D, F]} (row-major); expert e is a zero-copy view of its slab, which
 * has exactly HF's {@code w1}/{@code w3} {@code [F, D]} and {@code w2} {@code [D, F]} layout.
 *
 * <p>The q/k permutation: the converter reorders the rows of {@code attn_q}/{@code attn_k} inside each head so that
 * llama.cpp's interleaved ("normal") RoPE, which rotates pairs (2i, 2i+1), computes what HF's half-split RoPE
 * computes on pairs (i, i + hd/2). We undo it at load (whole-row copies into the model's arena, see
 * {@link GgufTensors#unpermuted}) rather than rotating interleaved pairs: the engine keeps one RoPE and one attention
 * path for every checkpoint, so a GGUF model computes bit-for-bit the q and k that its safetensors original
 * computes — the KV cache, attention scores and every kernel are shared and already tested against the goldens.
 * The cost is one copy of the q and k weights at load (about 1.5% of a Mixtral-8x7B's weights), which are then no
 * longer views of the mapping; the alternative would carry a second RoPE variant through the engine's attention for
 * what is only a storage-order difference.
 */
final class GgufLlama {
    static final String ARCH = "llama";

    private GgufLlama() {}

    static ModelConfig config(GgufFile file) {
        GgufMetadata m = file.metadata();
        String p = ARCH + ".";
        int hidden = m.getInt(p + "embedding_length");
        int layers = m.getInt(p + "block_count");
        int heads = m.getInt(p + "attention.head_count");
        int kvHeads = m.getInt(p + "attention.head_count_kv", heads);
        if (!m.contains(p + "expert_count")) {
            throw new FormatException(file.path(), "metadata key '" + p + "expert_count' is missing: arch llama without "
                    + "experts (a dense model) is not supported; moe4j runs Mixture-of-Experts models");
        }
        int experts = m.getInt(p + "expert_count");
        int topK = m.getInt(p + "expert_used_count");
        int ffn = m.getInt(p + "expert_feed_forward_length", m.getInt(p + "feed_forward_length"));
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new FormatException(file.path(), p + "attention.head_count " + heads + " is not a positive multiple of "
                    + p + "attention.head_count_kv " + kvHeads);
        }
        int headDim = m.getInt(p + "attention.key_length", hidden / heads);
        if (headDim <= 0 || headDim % 2 != 0 || (!m.contains(p + "attention.key_length") && hidden % heads != 0)) {
            throw new FormatException(file.path(), p + "embedding_length " + hidden + " and " + p
                    + "attention.head_count " + heads + " do not give an even head size");
        }
        if (experts <= 0 || topK <= 0 || topK > experts) {
            throw new FormatException(file.path(), p + "expert_used_count " + topK + " must be in 1.." + p + "expert_count " + experts);
        }
        int vocab = vocabulary(file, hidden);
        int bos = m.getInt("tokenizer.ggml.bos_token_id", -1);
        int[] eos = m.contains("tokenizer.ggml.eos_token_id") ? new int[]{m.getInt("tokenizer.ggml.eos_token_id")} : new int[0];
        // llama.cpp's defaults: head_count_kv = head_count, rope.freq_base = 10000; the rest are required.
        return new ModelConfig(ARCH, hidden, layers, heads, kvHeads, headDim, ffn, experts, topK, Normalize.L1, vocab,
                m.getDouble(p + "rope.freq_base", 10000), Norm.Kind.RMS, m.getFloat(p + "attention.layer_norm_rms_epsilon"),
                0, 0f, m.getInt(p + "context_length"), bos, eos, !file.contains("output.weight"));
    }

    /** The vocabulary size: rows of {@code token_embd}, which must be {@code [V, hidden]}. */
    static int vocabulary(GgufFile file, int hidden) {
        GgufTensorInfo embedding = file.info("token_embd.weight");
        long[] shape = embedding.shape();
        if (shape.length != 2 || shape[1] != hidden || shape[0] > Integer.MAX_VALUE) {
            throw new FormatException(file.path(), "tensor 'token_embd.weight' has shape "
                    + java.util.Arrays.toString(shape) + ", expected [vocab, " + hidden + "]");
        }
        return (int) shape[0];
    }

    static Transformer build(ModelConfig c, GgufFile file, Arena arena, Backend backend) {
        GgufTensors t = new GgufTensors(file, arena);
        AttentionSpec spec = new AttentionSpec(c.heads(), c.kvHeads(), c.headDim(), c.ropeTheta(), 0, 0f);
        MoeConfig moe = new MoeConfig(RouterKind.SOFTMAX_TOPK, c.experts(), c.topK(), Activation.SWIGLU, Normalize.L1,
                Double.NaN, 1, 1, 0, SecondExpert.TOP, false, 0);
        long d = c.hidden(), f = c.ffn(), e = c.experts(), qw = (long) c.heads() * c.headDim(), kvw = (long) c.kvHeads() * c.headDim();
        List<DecoderBlock> blocks = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            AttentionWeights attention = new AttentionWeights(
                    t.unpermuted(p + "attn_q.weight", c.heads(), c.headDim(), d),
                    t.unpermuted(p + "attn_k.weight", c.kvHeads(), c.headDim(), d),
                    t.weight(p + "attn_v.weight", kvw, d), null, t.weight(p + "attn_output.weight", d, qw));
            Tensor gate = t.weight(p + "ffn_gate_exps.weight", e, f, d);
            Tensor up = t.weight(p + "ffn_up_exps.weight", e, f, d);
            Tensor down = t.weight(p + "ffn_down_exps.weight", e, d, f);
            List<Expert> experts = new ArrayList<>();
            for (int x = 0; x < e; x++) experts.add(Expert.swiglu(GgufTensors.expert(gate, x), GgufTensors.expert(up, x), GgufTensors.expert(down, x)));
            MoeWeights weights = MoeWeights.of(t.f32(p + "ffn_gate_inp.weight", e, d), experts);
            blocks.add(new DecoderBlock(
                    new Norm(Norm.Kind.RMS, t.f32(p + "attn_norm.weight", d), c.normEps()),
                    new Attention(spec, attention, l),
                    new Norm(Norm.Kind.RMS, t.f32(p + "ffn_norm.weight", d), c.normEps()),
                    MoeLayer.create(backend, moe, weights)));
        }
        Tensor embedding = t.weight("token_embd.weight", c.vocab(), d);
        Tensor head = c.tiedEmbeddings() ? embedding : t.weight("output.weight", c.vocab(), d);
        return new Transformer(backend, embedding, blocks, new Norm(Norm.Kind.RMS, t.f32("output_norm.weight", d), c.normEps()),
                head, spec);
    }
}
