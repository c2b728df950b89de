package io.moe4j.models.format.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The fuzz test's seed corpus: small GGUF files from {@link GgufWriter} that reach every part of the reader
 * ({@code valid-*}), and near-misses that each break one rule ({@code invalid-*}), so mutations start on both
 * sides of every check. Deterministic, so {@link GgufSeedCorpusTest} can hold the committed files to it.
 */
final class GgufSeedCorpus {
    private GgufSeedCorpus() {}

    /** Seed name → file contents. */
    static Map<String, byte[]> seeds() {
        Map<String, byte[]> seeds = new LinkedHashMap<>();
        seeds.put("valid-empty", write(new GgufWriter()));
        GgufWriter everyType = new GgufWriter();
        GgufRoundTripTest.everyValueType().forEach(everyType::metadata);
        byte[] metadata = write(everyType);
        seeds.put("valid-metadata", metadata);
        byte[] tensors = write(everyEngineType());
        seeds.put("valid-tensors", tensors);
        seeds.put("valid-llama", write(llamaLike()));
        seeds.put("valid-alignment64", write(new GgufWriter().alignment(64)
                .add("a", GgmlType.F32, new long[] {2, 3}, zeros(24))
                .add("b", GgmlType.BF16, new long[] {5}, zeros(10))));
        seeds.put("valid-unsupported-types", write(new GgufWriter()
                .add("q4_1", GgmlType.Q4_1, new long[] {1, 32}, zeros(20))
                .add("q2_k", GgmlType.Q2_K, new long[] {1, 256}, zeros(84))
                .add("mxfp4", GgmlType.MXFP4, new long[] {2, 32}, zeros(34))));
        byte[] v2 = metadata.clone();
        v2[4] = 2;
        seeds.put("valid-v2", v2);

        seeds.put("invalid-truncated-data", Arrays.copyOf(tensors, tensors.length - 100));
        seeds.put("invalid-truncated-metadata", Arrays.copyOf(metadata, metadata.length / 2));
        byte[] misaligned = tensors.clone();
        patchTensorOffset(misaligned, "f16", tensorOffset(tensors, "f16") + 4);
        seeds.put("invalid-misaligned-offset", misaligned);
        byte[] overlap = tensors.clone();
        patchTensorOffset(overlap, "q8_0", tensorOffset(tensors, "f16"));
        seeds.put("invalid-overlap", overlap);
        byte[] hugeArray = metadata.clone();
        patchArrayLength(hugeArray, "a.str", 1L << 40);
        seeds.put("invalid-huge-array-length", hugeArray);
        return seeds;
    }

    /** One small tensor of every type the engine views, with fixed pseudo-random bytes. */
    private static GgufWriter everyEngineType() {
        Random random = new Random(42);
        GgufWriter w = new GgufWriter().metadata("general.architecture", GgufValue.string("llama"));
        Object[][] cases = {
                {"f32", GgmlType.F32, new long[] {2, 3}},
                {"f16", GgmlType.F16, new long[] {4}},
                {"bf16", GgmlType.BF16, new long[] {2, 2}},
                {"q8_0", GgmlType.Q8_0, new long[] {1, 32}},
                {"q4_0", GgmlType.Q4_0, new long[] {2, 32}},
                {"q4_k", GgmlType.Q4_K, new long[] {1, 256}},
                {"q5_k", GgmlType.Q5_K, new long[] {1, 256}},
                {"q6_k", GgmlType.Q6_K, new long[] {1, 256}},
                {"i8", GgmlType.I8, new long[] {3}},
        };
        for (Object[] c : cases) {
            GgmlType type = (GgmlType) c[1];
            long[] shape = (long[]) c[2];
            long elements = 1;
            for (long d : shape) elements *= d;
            byte[] bytes = new byte[(int) (elements / type.blockSize() * type.typeSize())];
            random.nextBytes(bytes);
            w.add((String) c[0], type, shape, () -> MemorySegment.ofArray(bytes));
        }
        return w;
    }

    /** The shape of a Mixtral GGUF in miniature: arch llama with experts, a llama tokenizer, stacked experts. */
    private static GgufWriter llamaLike() {
        GgufWriter w = new GgufWriter()
                .metadata("general.architecture", GgufValue.string("llama"))
                .metadata("llama.block_count", GgufValue.uint32(1))
                .metadata("llama.embedding_length", GgufValue.uint32(32))
                .metadata("llama.feed_forward_length", GgufValue.uint32(2))
                .metadata("llama.expert_count", GgufValue.uint32(2))
                .metadata("llama.expert_used_count", GgufValue.uint32(1))
                .metadata("llama.rope.freq_base", GgufValue.float32(1e6f))
                .metadata("tokenizer.ggml.model", GgufValue.string("llama"))
                .metadata("tokenizer.ggml.tokens", GgufValue.array(GgufArray.ofStrings("<unk>", "<s>", "</s>", "▁a", "b")))
                .metadata("tokenizer.ggml.scores", GgufValue.array(GgufArray.ofFloat32(0, 0, 0, -1, -2)))
                .metadata("tokenizer.ggml.token_type", GgufValue.array(GgufArray.ofInt32(2, 3, 3, 1, 1)))
                .metadata("tokenizer.ggml.merges", GgufValue.array(GgufArray.ofStrings("▁ a")))
                .metadata("tokenizer.ggml.bos_token_id", GgufValue.uint32(1));
        w.add("token_embd.weight", GgmlType.Q8_0, new long[] {5, 32}, zeros(5 * 34));
        w.add("blk.0.attn_norm.weight", GgmlType.F32, new long[] {32}, zeros(128));
        w.add("blk.0.ffn_gate_inp.weight", GgmlType.F32, new long[] {2, 32}, zeros(256));
        w.add("blk.0.ffn_gate_exps.weight", GgmlType.Q4_0, new long[] {2, 2, 32}, zeros(4 * 18));
        w.add("blk.0.ffn_down_exps.weight", GgmlType.F16, new long[] {2, 32, 2}, zeros(256));
        return w;
    }

    private static GgufWriter.Source zeros(int bytes) {
        return () -> MemorySegment.ofArray(new byte[bytes]);
    }

    private static byte[] write(GgufWriter w) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            w.write(Channels.newChannel(out));
        } catch (IOException e) {
            throw new AssertionError("in-memory write failed", e);
        }
        return out.toByteArray();
    }

    /** Where the tensor info of {@code name} stores its offset: after the name, n_dims, ne[] and type. */
    private static int tensorOffsetField(byte[] file, String name) {
        int at = find(file, string(name));
        int p = at + 8 + name.length();
        int nDims = le(file).getInt(p);
        return p + 4 + 8 * nDims + 4;
    }

    private static long tensorOffset(byte[] file, String name) {
        return le(file).getLong(tensorOffsetField(file, name));
    }

    private static void patchTensorOffset(byte[] file, String name, long offset) {
        le(file).putLong(tensorOffsetField(file, name), offset);
    }

    /** Overwrites the length of the array value of {@code key}: after the key, its type (ARRAY), element type. */
    private static void patchArrayLength(byte[] file, String key, long length) {
        int at = find(file, string(key)) + 8 + key.length() + 4 + 4;
        le(file).putLong(at, length);
    }

    private static byte[] string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return le(new byte[8 + b.length]).putLong(b.length).put(b).array();
    }

    private static int find(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
