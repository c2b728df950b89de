package io.moe4j.models.gguf;

import io.moe4j.engine.backend.cpu.quant.Q4_0;
import io.moe4j.engine.backend.cpu.quant.Q8_0;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.SafeTensorsCheckpoint;
import io.moe4j.models.format.gguf.GgmlType;
import io.moe4j.models.format.gguf.GgufValue;
import io.moe4j.models.format.gguf.GgufWriter;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.ModelConfig;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Converts a Hugging Face checkpoint ({@code MixtralForCausalLM}, {@code DbrxForCausalLM}) into a GGUF file with
 * block-quantized weights (Q8_0 or Q4_0), following llama.cpp's converter so that llama.cpp and {@link Model#open}
 * both read the result:
 * <ul>
 *   <li>Mixtral as arch {@code llama} with experts: HF names mapped to ggml's, the rows of {@code attn_q} and
 *       {@code attn_k} permuted per head for llama.cpp's interleaved RoPE (the loader undoes it), experts stacked per
 *       layer as {@code ffn_gate_exps}/{@code ffn_up_exps} {@code [E, F, D]} and {@code ffn_down_exps} {@code [E, D, F]};</li>
 *   <li>DBRX as arch {@code dbrx}: fused {@code attn_qkv} unpermuted, {@code w1}/{@code v1} regrouped as
 *       {@code [E, F, D]}, {@code w2} transposed per expert to {@code [E, D, F]}.</li>
 * </ul>
 * Norm weights (1-D) and the router ({@code ffn_gate_inp}) stay F32, as llama.cpp's quantizer keeps them: they are
 * tiny, and the router's top-k choice is where small weight errors flip a discrete decision. A matrix whose row
 * length is not a multiple of the block size (32) cannot be written in blocks and stays F32 too; the
 * {@link Summary} lists those.
 *
 * <p>The file is written tensor by tensor: each GGUF tensor is read from the mapped safetensors, converted to
 * float32 a few rows at a time on {@code threads} threads, quantized into a buffer of its own output size, written,
 * and freed before the next one, so memory holds one output tensor (the largest is one layer's stacked experts)
 * besides the mapping. The output appears atomically: everything goes to a temporary file next to it, renamed over
 * {@code output} only when complete.
 *
 * <p>No tokenizer metadata is written ({@code tokenizer.ggml.model} and its vocabulary would need a conversion of
 * {@code tokenizer.json} into llama.cpp's token lists that moe4j does not have yet), only the BOS/EOS ids, which the
 * loader and {@code generate} read; prompts as text then need the Hugging Face directory. GGUF's arch {@code llama}
 * has no sliding-window key, so a window in {@code config.json} is dropped, as llama.cpp's converter drops it.
 */
public final class GgufConverter {
    /** Called as the conversion goes on; {@link #advance} may come from several threads at once. */
    public interface Progress {
        Progress NONE = new Progress() {
            @Override public void start(int tensors, long bytesIn) {}
            @Override public void advance(long bytesIn) {}
            @Override public void tensor(String name, GgmlType type, long bytesOut) {}
        };

        /** Before the first tensor: how many tensors and how many checkpoint bytes will be read. */
        void start(int tensors, long bytesIn);

        /** {@code bytesIn} more checkpoint bytes were converted. */
        void advance(long bytesIn);

        /** A tensor is converted, as {@code type}, into {@code bytesOut} bytes. */
        void tensor(String name, GgmlType type, long bytesOut);
    }

    /**
     * What a conversion wrote.
     *
     * @param keptF32 matrices left F32 because their row length is not a multiple of the block size
     */
    public record Summary(int tensors, int quantized, long bytesIn, long bytesOut, List<String> keptF32) {}

    /** Fills {@code dst[offset..offset+columns)} with row {@code row} of a planned tensor as floats. */
    private interface Rows {
        void read(long row, float[] dst, int offset);
    }

    /** A GGUF tensor to write: row-major shape, whether it is a weight matrix to quantize, its checkpoint bytes. */
    private record Planned(String name, long[] shape, boolean matrix, long bytesIn, Rows rows) {
        int columns() { return (int) shape[shape.length - 1]; }

        long rowCount() { return Shape.elements(shape) / columns(); }
    }

    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Floats converted per task: enough to amortise scheduling, small enough to spread one tensor over threads. */
    private static final int TASK_FLOATS = 1 << 16;

    private GgufConverter() {}

    /**
     * Writes the checkpoint directory {@code directory} to {@code output} with weight matrices as {@code type}
     * ({@link GgmlType#Q8_0} or {@link GgmlType#Q4_0}).
     *
     * @throws IllegalArgumentException for another type or fewer than one thread
     * @throws FormatException          for an unsupported architecture or a tensor of the wrong shape or dtype
     */
    public static Summary convert(Path directory, GgmlType type, Path output, int threads, Progress progress)
            throws IOException {
        if (type != GgmlType.Q8_0 && type != GgmlType.Q4_0) {
            throw new IllegalArgumentException("quantization type " + type + " is not supported; use Q8_0 or Q4_0");
        }
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        ModelConfig config = Model.readConfig(directory);
        Path absolute = output.toAbsolutePath();
        Path temporary = Files.createTempFile(absolute.getParent(), "." + absolute.getFileName(), ".part");
        try (SafeTensorsCheckpoint checkpoint = SafeTensorsCheckpoint.open(directory);
             Writing writing = new Writing(type, threads, progress)) {
            GgufWriter writer = new GgufWriter();
            List<Planned> plan;
            switch (config.architecture()) {
                case "MixtralForCausalLM" -> plan = llama(config, checkpoint, writer, directory, type);
                case "DbrxForCausalLM" -> plan = dbrx(config, checkpoint, writer, directory, type);
                default -> throw new FormatException(directory, "architecture " + config.architecture()
                        + " cannot be converted to GGUF (MixtralForCausalLM, DbrxForCausalLM)");
            }
            long bytesIn = plan.stream().mapToLong(Planned::bytesIn).sum();
            progress.start(plan.size(), bytesIn);
            for (Planned p : plan) {
                GgmlType as = p.matrix() && p.columns() % type.blockSize() == 0 ? type : GgmlType.F32;
                if (p.matrix() && as == GgmlType.F32) writing.keptF32.add(p.name());
                writer.add(p.name(), as, p.shape(), () -> writing.produce(p, as));
            }
            writer.write(temporary);
            writing.release();
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return new Summary(plan.size(), writing.quantized, bytesIn, Files.size(absolute), List.copyOf(writing.keptF32));
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** The converter's working state: the pool and the buffer of the tensor being written (freed at the next). */
    private static final class Writing implements AutoCloseable {
        private final GgmlType type;
        private final ForkJoinPool pool;
        private final Progress progress;
        private final List<String> keptF32 = new ArrayList<>();
        private Arena current;
        private int quantized;

        Writing(GgmlType type, int threads, Progress progress) {
            this.type = type;
            this.pool = new ForkJoinPool(threads);
            this.progress = progress;
        }

        MemorySegment produce(Planned p, GgmlType as) {
            release(); // the writer has written the previous tensor by the time it asks for the next
            current = Arena.ofShared();
            int columns = p.columns();
            long rows = p.rowCount();
            long rowBytes = as == GgmlType.F32 ? 4L * columns : (long) columns / as.blockSize() * as.typeSize();
            MemorySegment out = current.allocate(rows * rowBytes, 64);
            int rowsPerTask = Math.max(1, TASK_FLOATS / columns);
            int tasks = Math.toIntExact(Math.ceilDiv(rows, rowsPerTask));
            double inPerRow = (double) p.bytesIn() / rows;
            try {
                pool.submit(() -> IntStream.range(0, tasks).parallel().forEach(task -> {
                    long first = (long) task * rowsPerTask;
                    int n = (int) Math.min(rowsPerTask, rows - first);
                    float[] buffer = new float[n * columns];
                    for (int r = 0; r < n; r++) p.rows().read(first + r, buffer, r * columns);
                    MemorySegment floats = MemorySegment.ofArray(buffer);
                    long count = (long) n * columns, at = first * rowBytes;
                    switch (as) {
                        case Q8_0 -> Q8_0.quantize(floats, 0, out, at, count);
                        case Q4_0 -> Q4_0.quantize(floats, 0, out, at, count);
                        default -> MemorySegment.copy(floats, 0, out, at, 4 * count);
                    }
                    progress.advance(Math.round(inPerRow * (first + n)) - Math.round(inPerRow * first));
                })).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while converting tensor '" + p.name() + "'", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw new IllegalStateException("converting tensor '" + p.name() + "': " + e.getCause(), e.getCause());
            }
            if (as == type) quantized++;
            progress.tensor(p.name(), as, out.byteSize());
            return out;
        }

        void release() {
            if (current != null) current.close();
            current = null;
        }

        @Override
        public void close() {
            release();
            pool.shutdownNow();
        }
    }

    private static List<Planned> llama(ModelConfig c, SafeTensorsCheckpoint st, GgufWriter w, Path directory, GgmlType type) {
        String a = "llama.";
        common(w, directory, type, "llama");
        w.metadata(a + "block_count", GgufValue.uint32(c.layers()));
        w.metadata(a + "context_length", GgufValue.uint32(c.maxPositions()));
        w.metadata(a + "embedding_length", GgufValue.uint32(c.hidden()));
        w.metadata(a + "feed_forward_length", GgufValue.uint32(c.ffn()));
        w.metadata(a + "attention.head_count", GgufValue.uint32(c.heads()));
        w.metadata(a + "attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        if (c.headDim() * c.heads() != c.hidden()) w.metadata(a + "attention.key_length", GgufValue.uint32(c.headDim()));
        if (c.headDim() * c.heads() != c.hidden()) w.metadata(a + "attention.value_length", GgufValue.uint32(c.headDim()));
        w.metadata(a + "rope.freq_base", GgufValue.float32((float) c.ropeTheta()));
        w.metadata(a + "rope.dimension_count", GgufValue.uint32(c.headDim()));
        w.metadata(a + "attention.layer_norm_rms_epsilon", GgufValue.float32(c.normEps()));
        w.metadata(a + "expert_count", GgufValue.uint32(c.experts()));
        w.metadata(a + "expert_used_count", GgufValue.uint32(c.topK()));
        tokenIds(w, c);
        long d = c.hidden(), f = c.ffn(), q = (long) c.heads() * c.headDim(), kv = (long) c.kvHeads() * c.headDim();
        List<Planned> plan = new ArrayList<>();
        plan.add(plain(st, "token_embd.weight", "model.embed_tokens.weight", true, c.vocab(), d));
        for (int l = 0; l < c.layers(); l++) {
            String p = "model.layers." + l + ".", b = "blk." + l + ".";
            plan.add(plain(st, b + "attn_norm.weight", p + "input_layernorm.weight", false, d));
            plan.add(permuted(st, b + "attn_q.weight", p + "self_attn.q_proj.weight", c.heads(), c.headDim(), q, d));
            plan.add(permuted(st, b + "attn_k.weight", p + "self_attn.k_proj.weight", c.kvHeads(), c.headDim(), kv, d));
            plan.add(plain(st, b + "attn_v.weight", p + "self_attn.v_proj.weight", true, kv, d));
            plan.add(plain(st, b + "attn_output.weight", p + "self_attn.o_proj.weight", true, d, q));
            plan.add(plain(st, b + "ffn_norm.weight", p + "post_attention_layernorm.weight", false, d));
            plan.add(plain(st, b + "ffn_gate_inp.weight", p + "block_sparse_moe.gate.weight", false, c.experts(), d));
            plan.add(stacked(st, b + "ffn_gate_exps.weight", p + "block_sparse_moe.experts.%d.w1.weight", c.experts(), f, d));
            plan.add(stacked(st, b + "ffn_up_exps.weight", p + "block_sparse_moe.experts.%d.w3.weight", c.experts(), f, d));
            plan.add(stacked(st, b + "ffn_down_exps.weight", p + "block_sparse_moe.experts.%d.w2.weight", c.experts(), d, f));
        }
        plan.add(plain(st, "output_norm.weight", "model.norm.weight", false, d));
        if (st.contains("lm_head.weight")) plan.add(plain(st, "output.weight", "lm_head.weight", true, c.vocab(), d));
        return plan;
    }

    private static List<Planned> dbrx(ModelConfig c, SafeTensorsCheckpoint st, GgufWriter w, Path directory, GgmlType type) {
        String a = "dbrx.";
        common(w, directory, type, "dbrx");
        w.metadata(a + "context_length", GgufValue.uint32(c.maxPositions()));
        w.metadata(a + "embedding_length", GgufValue.uint32(c.hidden()));
        w.metadata(a + "block_count", GgufValue.uint32(c.layers()));
        w.metadata(a + "feed_forward_length", GgufValue.uint32(c.ffn()));
        w.metadata(a + "attention.head_count", GgufValue.uint32(c.heads()));
        w.metadata(a + "attention.head_count_kv", GgufValue.uint32(c.kvHeads()));
        w.metadata(a + "rope.freq_base", GgufValue.float32((float) c.ropeTheta()));
        w.metadata(a + "attention.clamp_kqv", GgufValue.float32(c.clipQkv()));
        w.metadata(a + "expert_count", GgufValue.uint32(c.experts()));
        w.metadata(a + "expert_used_count", GgufValue.uint32(c.topK()));
        w.metadata(a + "attention.layer_norm_epsilon", GgufValue.float32(c.normEps()));
        tokenIds(w, c);
        long e = c.experts(), f = c.ffn(), d = c.hidden();
        long qkv = (long) (c.heads() + 2 * c.kvHeads()) * c.headDim(), q = (long) c.heads() * c.headDim();
        List<Planned> plan = new ArrayList<>();
        plan.add(plain(st, "token_embd.weight", "transformer.wte.weight", true, c.vocab(), d));
        for (int l = 0; l < c.layers(); l++) {
            String p = "transformer.blocks." + l + ".", n = p + "norm_attn_norm.", b = "blk." + l + ".";
            plan.add(plain(st, b + "attn_norm.weight", n + "norm_1.weight", false, d));
            plan.add(plain(st, b + "attn_qkv.weight", n + "attn.Wqkv.weight", true, qkv, d));
            plan.add(plain(st, b + "attn_output.weight", n + "attn.out_proj.weight", true, d, q));
            plan.add(plain(st, b + "attn_output_norm.weight", n + "norm_2.weight", false, d));
            plan.add(plain(st, b + "ffn_gate_inp.weight", p + "ffn.router.layer.weight", false, e, d));
            // w1 and v1 are [E·F, D]: as [E, F, D] their rows are already in ggml's order.
            Planned gate = plain(st, b + "ffn_gate_exps.weight", p + "ffn.experts.mlp.w1", true, e * f, d);
            Planned up = plain(st, b + "ffn_up_exps.weight", p + "ffn.experts.mlp.v1", true, e * f, d);
            plan.add(new Planned(gate.name(), new long[]{e, f, d}, true, gate.bytesIn(), gate.rows()));
            plan.add(new Planned(up.name(), new long[]{e, f, d}, true, up.bytesIn(), up.rows()));
            plan.add(dbrxDown(st, b + "ffn_down_exps.weight", p + "ffn.experts.mlp.w2", e, f, d));
        }
        plan.add(plain(st, "output_norm.weight", "transformer.norm_f.weight", false, d));
        if (st.contains("lm_head.weight")) plan.add(plain(st, "output.weight", "lm_head.weight", true, c.vocab(), d));
        return plan;
    }

    private static void common(GgufWriter w, Path directory, GgmlType type, String arch) {
        w.metadata("general.architecture", GgufValue.string(arch));
        Path name = directory.toAbsolutePath().normalize().getFileName();
        w.metadata("general.name", GgufValue.string(name == null ? arch : name.toString()));
        // llama.cpp's llama_ftype: MOSTLY_Q4_0 = 2, MOSTLY_Q8_0 = 7; quantization_version 2 is ggml's current one.
        w.metadata("general.file_type", GgufValue.uint32(type == GgmlType.Q8_0 ? 7 : 2));
        w.metadata("general.quantization_version", GgufValue.uint32(2));
    }

    private static void tokenIds(GgufWriter w, ModelConfig c) {
        if (c.bosId() >= 0) w.metadata("tokenizer.ggml.bos_token_id", GgufValue.uint32(c.bosId()));
        if (c.eosIds().length > 0) w.metadata("tokenizer.ggml.eos_token_id", GgufValue.uint32(c.eosIds()[0]));
    }

    /** A checkpoint tensor of this shape, rows in its own order. */
    private static Planned plain(SafeTensorsCheckpoint st, String name, String hf, boolean matrix, long... shape) {
        Tensor t = source(st, hf, shape);
        int columns = (int) shape[shape.length - 1];
        return new Planned(name, shape, matrix && shape.length > 1, t.byteSize(),
                (row, dst, offset) -> read(t, row * columns, columns, dst, offset));
    }

    /**
     * llama.cpp's q/k permutation, {@code reshape(heads, 2, hd/2, D).swapaxes(1, 2)}: stored row {@code h·hd + 2i + s}
     * is HF's row {@code h·hd + s·hd/2 + i}, so that interleaved RoPE pairs (2i, 2i+1) are HF's pairs (i, i + hd/2).
     */
    private static Planned permuted(SafeTensorsCheckpoint st, String name, String hf, int heads, int headDim, long rows, long columns) {
        Tensor t = source(st, hf, rows, columns);
        int cols = (int) columns, half = headDim / 2;
        return new Planned(name, new long[]{rows, columns}, true, t.byteSize(), (row, dst, offset) -> {
            long h = row / headDim, j = row % headDim;
            long from = h * headDim + (j % 2) * half + j / 2;
            read(t, from * cols, cols, dst, offset);
        });
    }

    /** Experts {@code [R, C]} each, stacked into {@code [E, R, C]}. */
    private static Planned stacked(SafeTensorsCheckpoint st, String name, String hfPattern, int experts, long rows, long columns) {
        Tensor[] parts = new Tensor[experts];
        long bytes = 0;
        for (int e = 0; e < experts; e++) {
            parts[e] = source(st, hfPattern.formatted(e), rows, columns);
            bytes += parts[e].byteSize();
        }
        int cols = (int) columns;
        return new Planned(name, new long[]{experts, rows, columns}, true, bytes,
                (row, dst, offset) -> read(parts[(int) (row / rows)], (row % rows) * cols, cols, dst, offset));
    }

    /** DBRX's {@code w2}, {@code [E·F, D]} viewed as {@code [E, F, D]}, permuted (0, 2, 1) to {@code [E, D, F]}. */
    private static Planned dbrxDown(SafeTensorsCheckpoint st, String name, String hf, long experts, long ffn, long hidden) {
        Tensor t = source(st, hf, experts * ffn, hidden);
        int f = (int) ffn;
        return new Planned(name, new long[]{experts, hidden, ffn}, true, t.byteSize(), (row, dst, offset) -> {
            long e = row / hidden, d = row % hidden;
            for (int i = 0; i < f; i++) dst[offset + i] = at(t, (e * ffn + i) * hidden + d);
        });
    }

    private static Tensor source(SafeTensorsCheckpoint st, String name, long... shape) {
        Tensor t = st.tensor(name);
        if (t.dtype() != DType.F32 && t.dtype() != DType.BF16 && t.dtype() != DType.F16) {
            throw new FormatException(st.source(), "tensor '" + name + "' is " + t.dtype() + "; expected F32, BF16 or F16");
        }
        // A 2-D [1, C] or [C] norm is the same bytes; only the element count and the row length must agree.
        if (Shape.elements(t.shape()) != Shape.elements(shape) || t.dim(-1) != shape[shape.length - 1] || !t.isContiguous()) {
            throw new FormatException(st.source(), "tensor '" + name + "' has shape " + Shape.toString(t.shape())
                    + ", expected " + Shape.toString(shape));
        }
        return t;
    }

    private static void read(Tensor t, long flat, int n, float[] dst, int offset) {
        MemorySegment s = t.segment();
        switch (t.dtype()) {
            case F32 -> MemorySegment.copy(s, FLOAT, flat * 4, dst, offset, n);
            case BF16 -> { for (int i = 0; i < n; i++) dst[offset + i] = Float.intBitsToFloat(s.get(HALF, (flat + i) * 2) << 16); }
            default -> { for (int i = 0; i < n; i++) dst[offset + i] = Float.float16ToFloat(s.get(HALF, (flat + i) * 2)); }
        }
    }

    private static float at(Tensor t, long flat) {
        MemorySegment s = t.segment();
        return switch (t.dtype()) {
            case F32 -> s.get(FLOAT, flat * 4);
            case BF16 -> Float.intBitsToFloat(s.get(HALF, flat * 2) << 16);
            default -> Float.float16ToFloat(s.get(HALF, flat * 2));
        };
    }
}
