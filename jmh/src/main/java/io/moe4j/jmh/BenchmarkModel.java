package io.moe4j.jmh;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moe4j.engine.tensor.DType;
import io.moe4j.models.format.SafeTensorsWriter;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the Mixtral-shaped benchmark model (hidden 2048, intermediate 7168, 16 heads / 4 KV heads, 8 experts
 * top-2, 4 layers, vocab 32000, untied lm_head) with random weights in Hugging Face layout:
 * {@code java ... io.moe4j.jmh.BenchmarkModel DIR f32|bf16 SHARDS}.
 */
public final class BenchmarkModel {
    static final int HIDDEN = 2048, FFN = 7168, HEADS = 16, KV_HEADS = 4, EXPERTS = 8, TOP_K = 2, LAYERS = 4, VOCAB = 32000;

    private BenchmarkModel() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: BenchmarkModel DIR f32|bf16 SHARDS");
            System.exit(2);
        }
        write(Path.of(args[0]), DType.valueOf(args[1].toUpperCase()), Integer.parseInt(args[2]));
    }

    static void write(Path dir, DType type, int shards) throws IOException {
        Files.createDirectories(dir);
        Map<String, long[]> tensors = new LinkedHashMap<>();
        int hd = HIDDEN / HEADS;
        tensors.put("model.embed_tokens.weight", new long[] {VOCAB, HIDDEN});
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            tensors.put(p + "input_layernorm.weight", new long[] {HIDDEN});
            tensors.put(p + "self_attn.q_proj.weight", new long[] {HEADS * hd, HIDDEN});
            tensors.put(p + "self_attn.k_proj.weight", new long[] {KV_HEADS * hd, HIDDEN});
            tensors.put(p + "self_attn.v_proj.weight", new long[] {KV_HEADS * hd, HIDDEN});
            tensors.put(p + "self_attn.o_proj.weight", new long[] {HIDDEN, HEADS * hd});
            tensors.put(p + "post_attention_layernorm.weight", new long[] {HIDDEN});
            tensors.put(p + "block_sparse_moe.gate.weight", new long[] {EXPERTS, HIDDEN});
            for (int e = 0; e < EXPERTS; e++) {
                String x = p + "block_sparse_moe.experts." + e + ".";
                tensors.put(x + "w1.weight", new long[] {FFN, HIDDEN});
                tensors.put(x + "w3.weight", new long[] {FFN, HIDDEN});
                tensors.put(x + "w2.weight", new long[] {HIDDEN, FFN});
            }
        }
        tensors.put("model.norm.weight", new long[] {HIDDEN});
        tensors.put("lm_head.weight", new long[] {VOCAB, HIDDEN});

        long total = 0;
        for (long[] s : tensors.values()) total += type.bytesFor(s[0] * (s.length > 1 ? s[1] : 1));
        long perShard = Math.ceilDiv(total, shards);
        List<SafeTensorsWriter> writers = new ArrayList<>();
        Map<String, String> weightMap = new LinkedHashMap<>();
        SafeTensorsWriter current = null;
        long filled = Long.MAX_VALUE;
        long seed = 1;
        for (var e : tensors.entrySet()) {
            long[] shape = e.getValue();
            long bytes = type.bytesFor(shape[0] * (shape.length > 1 ? shape[1] : 1));
            if (current == null || (filled + bytes > perShard && writers.size() < shards)) {
                current = new SafeTensorsWriter().metadata("format", "pt");
                writers.add(current);
                filled = 0;
            }
            filled += bytes;
            boolean norm = shape.length == 1;
            long tensorSeed = seed++;
            double scale = norm ? 0 : 1 / Math.sqrt(shape[1]);
            Arena[] arena = new Arena[1];
            current.add(e.getKey(), type, shape, () -> {
                if (arena[0] != null) arena[0].close();
                arena[0] = Arena.ofConfined();
                if (norm) {
                    var t = io.moe4j.engine.tensor.Tensor.allocate(arena[0], type, shape);
                    for (long i = 0; i < shape[0]; i++) t.setFloat(1f, i);
                    return t;
                }
                return RandomTensors.uniform(arena[0], type, tensorSeed, shape[0], shape[1], 2 * scale);
            });
            weightMap.put(e.getKey(), shards == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", writers.size(), shards));
        }
        for (int i = 0; i < writers.size(); i++) {
            String name = shards == 1 ? "model.safetensors" : String.format("model-%05d-of-%05d.safetensors", i + 1, shards);
            writers.get(i).write(dir.resolve(name));
        }
        ObjectMapper json = new ObjectMapper();
        if (shards > 1) {
            ObjectNode index = json.createObjectNode();
            index.putObject("metadata").put("total_size", total);
            ObjectNode map = index.putObject("weight_map");
            weightMap.forEach(map::put);
            json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
        }
        ObjectNode config = json.createObjectNode();
        config.putArray("architectures").add("MixtralForCausalLM");
        config.put("model_type", "mixtral").put("hidden_size", HIDDEN).put("intermediate_size", FFN)
                .put("num_attention_heads", HEADS).put("num_key_value_heads", KV_HEADS).put("num_hidden_layers", LAYERS)
                .put("num_local_experts", EXPERTS).put("num_experts_per_tok", TOP_K).put("vocab_size", VOCAB)
                .put("rms_norm_eps", 1e-5).put("rope_theta", 1e6).put("max_position_embeddings", 32768)
                .put("bos_token_id", 1).put("eos_token_id", 2).put("tie_word_embeddings", false)
                .put("torch_dtype", type == DType.BF16 ? "bfloat16" : "float32");
        config.putNull("sliding_window");
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
    }
}
