package io.moe4j.models.format.gguf;

import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.GoldenFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared Q8_0 GGUF of the tiny Mixtral (written by llama.cpp's converter, arch {@code llama} with experts):
 * its metadata and tensor table must read as the model they describe. Skips when {@code shared/golden} is absent.
 */
class GgufGoldenTest {
    @Test
    void tinyMixtralQ8_0() throws IOException {
        try (GgufFile f = GgufFile.open(GoldenFiles.require("gguf/mixtral-tiny-f32.Q8_0.gguf"))) {
            assertEquals(3, f.version());
            assertEquals(32, f.alignment());
            GgufMetadata m = f.metadata();
            assertEquals(26, m.size());
            assertEquals("llama", m.getString("general.architecture"));
            int blocks = m.getInt("llama.block_count");
            int dim = m.getInt("llama.embedding_length");
            int ffn = m.getInt("llama.feed_forward_length");
            int experts = m.getInt("llama.expert_count");
            int heads = m.getInt("llama.attention.head_count");
            int kvHeads = m.getInt("llama.attention.head_count_kv");
            int vocab = m.getInt("llama.vocab_size");
            assertEquals(List.of(2, 64, 128, 8, 2, 4, 2, 320), List.of(blocks, dim, ffn, experts,
                    m.getInt("llama.expert_used_count"), heads, kvHeads, vocab));
            assertEquals(1e6f, m.getFloat("llama.rope.freq_base"));
            assertEquals(1e-5f, m.getFloat("llama.attention.layer_norm_rms_epsilon"));
            assertEquals("llama", m.getString("tokenizer.ggml.model"));
            List<String> tokens = m.getStrings("tokenizer.ggml.tokens");
            assertEquals(vocab, tokens.size());
            assertEquals(List.of("<unk>", "<s>", "</s>", "<0x00>"), tokens.subList(0, 4));
            assertEquals(vocab, m.getFloats("tokenizer.ggml.scores").length);
            assertEquals(vocab, m.getInts("tokenizer.ggml.token_type").length);
            assertEquals(1, m.getInt("tokenizer.ggml.bos_token_id"));
            assertEquals(7, m.getInt("general.file_type")); // MOSTLY_Q8_0

            assertEquals(3 + 10 * blocks, f.tensors().size());
            int headDim = dim / heads;
            assertArrayEquals(new long[] {vocab, dim}, f.info("token_embd.weight").shape());
            assertArrayEquals(new long[] {vocab, dim}, f.info("output.weight").shape());
            for (int b = 0; b < blocks; b++) {
                String p = "blk." + b + ".";
                assertArrayEquals(new long[] {(long) kvHeads * headDim, dim}, f.info(p + "attn_k.weight").shape());
                assertArrayEquals(new long[] {dim, dim}, f.info(p + "attn_q.weight").shape());
                assertArrayEquals(new long[] {experts, dim}, f.info(p + "ffn_gate_inp.weight").shape());
                assertArrayEquals(new long[] {experts, ffn, dim}, f.info(p + "ffn_gate_exps.weight").shape());
                assertArrayEquals(new long[] {experts, ffn, dim}, f.info(p + "ffn_up_exps.weight").shape());
                assertArrayEquals(new long[] {experts, dim, ffn}, f.info(p + "ffn_down_exps.weight").shape());
            }

            long covered = 0;
            for (GgufTensorInfo info : f.tensors()) {
                // Norms and the router stay F32 (llama.cpp keeps 1-D tensors and ffn_gate_inp unquantized).
                boolean f32 = info.name().endsWith("norm.weight") || info.name().endsWith("ffn_gate_inp.weight");
                assertEquals(f32 ? GgmlType.F32 : GgmlType.Q8_0, info.type(), info.name());
                Tensor t = f.tensor(info.name());
                assertEquals(info.byteSize(), t.byteSize(), info.name());
                if (info.type() == GgmlType.Q8_0) checkQ8_0Scales(info.name(), t);
                covered += info.byteSize();
            }
            assertTrue(covered <= Files.size(f.path()) - f.dataStart());
        }
    }

    /** Every Q8_0 block starts with its f16 scale d = max|w| / 127: finite and not negative. */
    private static void checkQ8_0Scales(String name, Tensor t) {
        for (long block = 0; block < t.byteSize() / 34; block++) {
            float d = Float.float16ToFloat(t.segment().get(ValueLayout.JAVA_SHORT_UNALIGNED, block * 34));
            assertTrue(Float.isFinite(d) && d >= 0, () -> name + " block scale " + d);
        }
    }
}
