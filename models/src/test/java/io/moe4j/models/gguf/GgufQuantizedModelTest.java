package io.moe4j.models.gguf;

import io.moe4j.engine.backend.cpu.quant.Dequantize;
import io.moe4j.engine.backend.cpu.quant.Q4_0;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.GoldenFiles;
import io.moe4j.models.format.SafeTensorsCheckpoint;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A Q4_0 GGUF of the golden tiny Mixtral (every matrix but the router quantized, as llama.cpp does) against an F32
 * GGUF of exactly its dequantized weights: the same model, so the logits agree up to float32 summation order. This
 * covers the load path for quantized q/k rows (un-permuted as whole blocks), expert slabs and embedding rows.
 */
class GgufQuantizedModelTest {
    @TempDir Path tmp;

    @Test
    void q4_0FileMatchesTheF32FileOfItsDequantizedWeights() throws IOException {
        Path dir = GoldenFiles.require("models/mixtral-tiny-f32");
        Path q4 = tmp.resolve("q4_0.gguf"), f32 = tmp.resolve("dequantized.gguf");
        try (Model hf = Model.open(dir, 2); SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir);
             Arena arena = Arena.ofConfined()) {
            Function<String, Tensor> quantized = name -> quantize(st.tensor(name), name, arena);
            Function<String, Tensor> dequantized = name -> dequantize(quantized.apply(name), arena);
            LlamaGguf.writer(hf.config(), quantized, arena, "llama", Set.of()).write(q4);
            LlamaGguf.writer(hf.config(), dequantized, arena, "llama", Set.of()).write(f32);
        }
        int[] prompt = GgufModelGoldenTest.PROMPT;
        try (Model quant = Model.open(q4, 2); Model plain = Model.open(f32, 2); Session a = quant.newSession(16);
             Session b = plain.newSession(16); Arena arena = Arena.ofConfined()) {
            assertEquals("Q4_0", quant.checkpoint().type("blk.0.attn_q.weight"));
            assertEquals("F32", quant.checkpoint().type("blk.0.ffn_gate_inp.weight"));
            double worst = 0;
            for (int id : prompt) {
                // One token at a time: the decode kernels read the blocks in place with float32 activations.
                float[] x = a.prefill(new int[]{id}, null).toFloatArray(), y = b.prefill(new int[]{id}, null).toFloatArray();
                for (int i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
            }
            System.out.println("Q4_0 vs F32 of its dequantized weights: max |logit diff| = " + worst);
            assertTrue(worst <= 1e-4, "max |logit diff| = " + worst);
        }
    }

    /** Matrices (not norms, not the router) as Q4_0 blocks; the rest unchanged. */
    private static Tensor quantize(Tensor t, String name, Arena arena) {
        if (t.rank() != 2 || name.endsWith("block_sparse_moe.gate.weight")) return t;
        Tensor q = Tensor.allocate(arena, DType.Q4_0, t.shape());
        Q4_0.quantize(t.segment(), 0, q.segment(), 0, t.size());
        return q;
    }

    private static Tensor dequantize(Tensor t, Arena arena) {
        if (!t.dtype().isBlockQuantized()) return t;
        Tensor f = Tensor.allocate(arena, DType.F32, t.shape());
        Dequantize.run(t.dtype(), t.segment(), 0, f.segment(), 0, t.size());
        return f;
    }
}
