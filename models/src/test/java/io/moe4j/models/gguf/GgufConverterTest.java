package io.moe4j.models.gguf;

import io.moe4j.engine.backend.cpu.quant.Q4_0;
import io.moe4j.engine.backend.cpu.quant.Q8_0;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.GoldenFiles;
import io.moe4j.models.format.Npy;
import io.moe4j.models.format.SafeTensorsCheckpoint;
import io.moe4j.models.format.gguf.GgmlType;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GgufConverter} on the golden tiny Mixtral: the Q8_0 and Q4_0 files it writes load through
 * {@link Model#open} and give the logits of a float32 reference over the exactly dequantized weights. The reference
 * is built independently of the converter's mapping: every HF weight matrix is quantized and dequantized in place
 * (HF names, HF row order) and written as an F32 GGUF by the test writer {@link LlamaGguf} (whose F32 output gives
 * the golden logits within 1e-4, {@link GgufModelGoldenTest}). Quantizing whole rows commutes with the q/k row
 * permutation and the expert stacking, so both files hold exactly the same weights.
 *
 * <p>Tolerance against that reference: the weights are identical, so what differs is arithmetic — the quantized
 * kernels dequantize exactly but sum in another order (and may quantize activations to 8 bits for the dot products,
 * as llama.cpp does). Float32 reordering over K = 128 terms is ~1e-6 relative; 8-bit activations give per-dot
 * relative errors up to ~1/254 of the dot's absolute mass, about 4e-3 of logits of magnitude ~1 after two layers,
 * so 1e-2 is the bound (measured values are printed). Against the golden f32 logits the quantization error itself
 * counts: Q8_0 rounds each weight within d/2 = amax/254 (≤ 0.4% of the block's largest weight), Q4_0 within d/2 =
 * amax/16 (≤ 6%); with random-sign errors averaging over K terms the logit error is a fraction of those bounds,
 * so 0.05 (Q8_0) and 0.5 (Q4_0) on logits of magnitude ~1 still catch a wrong mapping (which moves them by ~1).
 */
class GgufConverterTest {
    static final int[] PROMPT = GgufModelGoldenTest.PROMPT;
    @TempDir Path tmp;

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0"})
    void quantizedFileGivesTheLogitsOfExactDequantization(GgmlType type) throws IOException {
        Path dir = GoldenFiles.require("models/mixtral-tiny-f32");
        Path out = tmp.resolve("tiny." + type + ".gguf");
        AtomicLong advanced = new AtomicLong();
        List<String> done = new ArrayList<>();
        long[] started = new long[2];
        GgufConverter.Summary summary = GgufConverter.convert(dir, type, out, 3, new GgufConverter.Progress() {
            @Override public void start(int tensors, long bytesIn) { started[0] = tensors; started[1] = bytesIn; }
            @Override public void advance(long bytesIn) { advanced.addAndGet(bytesIn); }
            @Override public synchronized void tensor(String name, GgmlType as, long bytesOut) { done.add(name); }
        });
        // 2 layers × 10 tensors + embedding, final norm, head.
        assertEquals(23, summary.tensors());
        assertEquals(23, started[0]);
        assertEquals(23, done.size());
        assertEquals(summary.bytesIn(), started[1]);
        assertEquals(summary.bytesIn(), advanced.get());
        assertEquals(Files.size(out), summary.bytesOut());
        assertEquals(List.of(), summary.keptF32());
        // embedding, head, and per layer q, k, v, o and the three expert stacks
        assertEquals(2 + 2 * 7, summary.quantized());
        try (Arena arena = Arena.ofConfined()) {
            Path reference = tmp.resolve("reference.gguf");
            try (SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir)) {
                LlamaGguf.writer(Model.readConfig(dir), name -> roundTrip(name, st.tensor(name), type, arena), arena, "llama",
                        Set.of()).write(reference);
            }
            Tensor want = logits(reference, arena);
            Tensor got;
            try (Model model = Model.open(out, 2)) {
                assertEquals(type.name(), model.checkpoint().type("blk.1.attn_q.weight"));
                assertEquals(type.name(), model.checkpoint().type("blk.0.ffn_down_exps.weight"));
                assertEquals(type.name(), model.checkpoint().type("token_embd.weight"));
                assertEquals(type.name(), model.checkpoint().type("output.weight"));
                assertEquals("F32", model.checkpoint().type("blk.0.ffn_gate_inp.weight"));
                assertEquals("F32", model.checkpoint().type("blk.0.attn_norm.weight"));
                assertEquals("F32", model.checkpoint().type("output_norm.weight"));
                assertEquals(1, model.config().bosId());
                got = logits(out, arena);
            }
            double vsReference = GgufModelGoldenTest.maxDiff(got, want);
            double vsGolden = GgufModelGoldenTest.maxDiff(got, Npy.read(dir.resolve("expected/p7.logits.npy"), arena));
            System.out.println(type + " from safetensors: max |logit - dequantized reference| = " + vsReference
                    + ", max |logit - golden f32| = " + vsGolden);
            assertTrue(vsReference <= 1e-2, "max |logit − reference| = " + vsReference);
            assertTrue(vsGolden <= (type == GgmlType.Q8_0 ? 0.05 : 0.5), "max |logit − golden| = " + vsGolden);
        }
    }

    @Test
    void dbrxQ8_0FileStaysNearTheGoldenLogits() throws IOException {
        // DBRX's w2 is quantized along F after the transpose, which a per-HF-tensor round trip cannot mirror, so this
        // checks the mapping against the golden f32 logits with the Q8_0 bound derived above.
        Path dir = GoldenFiles.require("models/dbrx-tiny-f32");
        Path out = tmp.resolve("dbrx.Q8_0.gguf");
        GgufConverter.convert(dir, GgmlType.Q8_0, out, 2, GgufConverter.Progress.NONE);
        try (Arena arena = Arena.ofConfined()) {
            Tensor got = logits(out, arena);
            double vsGolden = GgufModelGoldenTest.maxDiff(got, Npy.read(dir.resolve("expected/p7.logits.npy"), arena));
            System.out.println("DBRX Q8_0 from safetensors: max |logit - golden f32| = " + vsGolden);
            assertTrue(vsGolden <= 0.05, "max |logit − golden| = " + vsGolden);
        }
    }

    @Test
    void replacesAnExistingFileAndLeavesNoTemporaryOnFailure() throws IOException {
        Path dir = GoldenFiles.require("models/mixtral-tiny-f32");
        Path out = tmp.resolve("out.gguf");
        Files.writeString(out, "old");
        GgufConverter.convert(dir, GgmlType.Q4_0, out, 1, GgufConverter.Progress.NONE);
        assertTrue(Files.size(out) > 1000);
        Path broken = tmp.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(dir.resolve("config.json"), broken.resolve("config.json"));
        Path other = tmp.resolve("other.gguf");
        assertThrows(IOException.class, () -> GgufConverter.convert(broken, GgmlType.Q8_0, other, 1, GgufConverter.Progress.NONE));
        try (var files = Files.list(tmp)) {
            assertEquals(Set.of("out.gguf", "broken"), Set.copyOf(files.map(p -> p.getFileName().toString()).toList()));
        }
        assertThrows(IllegalArgumentException.class, () -> GgufConverter.convert(dir, GgmlType.Q4_K, other, 1, GgufConverter.Progress.NONE));
    }

    private static Tensor logits(Path gguf, Arena arena) throws IOException {
        try (Model model = Model.open(gguf, 2); Session session = model.newSession(64)) {
            Tensor logits = Tensor.allocate(arena, DType.F32, PROMPT.length, model.config().vocab());
            session.prefill(PROMPT, logits);
            return logits;
        }
    }

    /** Weight matrices quantized and dequantized exactly; norms and routers (kept F32 by the converter) as they are. */
    private static Tensor roundTrip(String name, Tensor hf, GgmlType type, Arena arena) {
        Tensor f32 = Tensor.allocate(arena, DType.F32, hf.shape());
        hf.copyTo(f32);
        if (hf.rank() < 2 || name.endsWith("block_sparse_moe.gate.weight")) return f32; // norms; the router
        Tensor blocks = Tensor.allocate(arena, type.dtype().orElseThrow(), hf.shape());
        if (type == GgmlType.Q8_0) {
            Q8_0.quantize(f32.segment(), 0, blocks.segment(), 0, f32.size());
            Q8_0.dequantize(blocks.segment(), 0, f32.segment(), 0, f32.size());
        } else {
            Q4_0.quantize(f32.segment(), 0, blocks.segment(), 0, f32.size());
            Q4_0.dequantize(blocks.segment(), 0, f32.segment(), 0, f32.size());
        }
        return f32;
    }
}
