package io.moe4j.models.gguf;

import io.moe4j.engine.backend.cpu.quant.Q4_0;
import io.moe4j.engine.backend.cpu.quant.Q8_0;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.GoldenFiles;
import io.moe4j.models.format.Npy;
import io.moe4j.models.format.SafeTensorsCheckpoint;
import io.moe4j.models.format.SafeTensorsWriter;
import io.moe4j.models.format.gguf.GgmlType;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.ModelConfig;
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
 * <p>Tolerance against that reference: 1e-4, the bound of the F32 golden tests. The weights are identical and the
 * quantized kernels dequantize exactly in float32 (Q8_0: the product of an 11-bit half and an 8-bit integer needs
 * no rounding; Q4_0 likewise), so only the order of float32 sums differs — relative ~1e-7 per dot over K ≤ 128 terms,
 * ~1e-6 on logits of magnitude ≤ 8 (measured: 3.1e-6 Q8_0, 2.9e-6 Q4_0). A mapping mistake (a row out of place, an
 * expert swapped, the permutation missing) moves logits by 1e-2 or more, so this is the real check.
 *
 * <p>Against the golden f32 logits (|logit| ≤ 7.9, standard deviation 2.0) the quantization error itself counts,
 * as a scale check. Q8_0 rounds each weight by at most d/2 with d = amax/127, an RMS error of d/√12 ≈ 0.4% of
 * the RMS weight (amax ≈ √3·RMS for these uniform weights); the logits move by the same order, about 1% of the
 * largest logit after two layers of a few such products (measured 0.087; DBRX 0.10). Bound: 0.25 (3% of the
 * largest logit, ~2.5× the measurement). Q4_0's step is d = amax/8, 127/8 ≈ 16× coarser, so its bound is
 * 16 × 0.25 = 4 (measured 2.2).
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
            assertTrue(vsReference <= 1e-4, "max |logit − reference| = " + vsReference);
            assertTrue(vsGolden <= (type == GgmlType.Q8_0 ? 0.25 : 4.0), "max |logit − golden| = " + vsGolden);
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void sixteenBitCheckpointsGiveTheLogitsOfExactDequantization(DType stored) throws IOException {
        // The converter decodes 16-bit weights itself (bit shifts, not Tensor.getFloat); the reference decodes them
        // with Tensor.copyTo, so the two paths meet only in the weights' values.
        Path golden = GoldenFiles.require("models/mixtral-tiny-f32");
        Path dir = Files.createDirectory(tmp.resolve("tiny-" + stored));
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        try (SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(golden); Arena arena = Arena.ofConfined()) {
            SafeTensorsWriter writer = new SafeTensorsWriter();
            for (String name : st.names()) {
                Tensor t = Tensor.allocate(arena, stored, st.tensor(name).shape());
                st.tensor(name).copyTo(t);
                writer.add(name, t);
            }
            writer.write(dir.resolve("model.safetensors"));
        }
        Path out = tmp.resolve("tiny-" + stored + ".Q8_0.gguf");
        GgufConverter.convert(dir, GgmlType.Q8_0, out, 2, GgufConverter.Progress.NONE);
        try (Arena arena = Arena.ofConfined()) {
            Path reference = tmp.resolve("reference-" + stored + ".gguf");
            try (SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir)) {
                LlamaGguf.writer(Model.readConfig(dir), name -> roundTrip(name, st.tensor(name), GgmlType.Q8_0, arena), arena,
                        "llama", Set.of()).write(reference);
            }
            double vsReference = GgufModelGoldenTest.maxDiff(logits(out, arena), logits(reference, arena));
            System.out.println(stored + " checkpoint to Q8_0: max |logit - dequantized reference| = " + vsReference);
            assertTrue(vsReference <= 1e-4, "max |logit − reference| = " + vsReference);
        }
    }

    @Test
    void dbrxQ8_0FileGivesTheLogitsOfExactDequantization() throws IOException {
        // DBRX's w2 is quantized along F after the (0, 2, 1) transpose, so its reference round trip runs on the
        // transposed layout and is transposed back before the test writer transposes it again.
        Path dir = GoldenFiles.require("models/dbrx-tiny-f32");
        Path out = tmp.resolve("dbrx.Q8_0.gguf");
        GgufConverter.convert(dir, GgmlType.Q8_0, out, 2, GgufConverter.Progress.NONE);
        ModelConfig c = Model.readConfig(dir);
        try (Arena arena = Arena.ofConfined()) {
            Path reference = tmp.resolve("dbrx-reference.gguf");
            try (SafeTensorsCheckpoint st = SafeTensorsCheckpoint.open(dir)) {
                DbrxGguf.writer(c, name -> {
                    Tensor hf = st.tensor(name);
                    if (!name.endsWith("ffn.experts.mlp.w2")) return roundTrip(name, hf, GgmlType.Q8_0, arena);
                    long e = c.experts(), f = c.ffn(), d = c.hidden();
                    Tensor down = Tensor.allocate(arena, DType.F32, e, d, f);
                    hf.reshape(e, f, d).transpose(1, 2).copyTo(down);
                    Tensor exact = roundTrip(name, down.reshape(e * d, f), GgmlType.Q8_0, arena);
                    Tensor back = Tensor.allocate(arena, DType.F32, e, f, d);
                    exact.reshape(e, d, f).transpose(1, 2).copyTo(back);
                    return back.reshape(e * f, d);
                }, arena).write(reference);
            }
            Tensor got = logits(out, arena);
            double vsReference = GgufModelGoldenTest.maxDiff(got, logits(reference, arena));
            double vsGolden = GgufModelGoldenTest.maxDiff(got, Npy.read(dir.resolve("expected/p7.logits.npy"), arena));
            System.out.println("DBRX Q8_0 from safetensors: max |logit - dequantized reference| = " + vsReference
                    + ", max |logit - golden f32| = " + vsGolden);
            assertTrue(vsReference <= 1e-4, "max |logit − reference| = " + vsReference);
            assertTrue(vsGolden <= 0.25, "max |logit − golden| = " + vsGolden);
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
        if (hf.rank() < 2 || name.endsWith("block_sparse_moe.gate.weight") || name.endsWith("ffn.router.layer.weight")) {
            return f32; // norms; the routers
        }
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
