package io.moe4j.models.layer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moe4j.engine.tensor.BFloat16;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Crafts layer files for tests: starts from a valid layer (E experts of width D = 8, F = 6, SwiGLU, F32, a
 * router.weight [E, D]) and lets a test add, replace or remove tensors and metadata. Tensor values are
 * deterministic and small; tensors are written in insertion order.
 */
final class LayerFileBuilder {
    static final int D = 8;
    static final int F = 6;
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Entry(String dtype, long[] shape, byte[] bytes) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private String weightDType = "F32";

    /** {@code moe.router = router}, E SwiGLU experts and router.weight [E, D]; no other key. */
    static LayerFileBuilder layer(String router, int experts) {
        return layer(router, experts, "F32");
    }

    /** The same with weights of {@code dtype} (F32, F16 or BF16). */
    static LayerFileBuilder layer(String router, int experts, String dtype) {
        LayerFileBuilder b = new LayerFileBuilder().dtype(dtype).meta("moe.router", router);
        for (int e = 0; e < experts; e++) b.ffn("experts." + e, F, true, false);
        return b.weight("router.weight", experts, D);
    }

    /** A Mixtral-style softmax_topk layer with E = 4, k = 2. */
    static LayerFileBuilder mixtral() {
        return layer("softmax_topk", 4).meta("moe.top_k", "2");
    }

    LayerFileBuilder meta(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    LayerFileBuilder withoutMeta(String key) {
        metadata.remove(key);
        return this;
    }

    /** The dtype of weights added from now on (F32, F16 or BF16). */
    LayerFileBuilder dtype(String dtype) {
        weightDType = dtype;
        return this;
    }

    /** Adds or replaces a weight tensor with deterministic values in the current dtype. */
    LayerFileBuilder weight(String name, long... shape) {
        return tensor(name, weightDType, shape);
    }

    /** Adds or replaces a tensor of any dtype the writer knows (F64, F32, F16, BF16, I64, I32, I8). */
    LayerFileBuilder tensor(String name, String dtype, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        int size = switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            default -> 1;
        };
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n * size)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            float v = ((i * 37 + name.length()) % 17 - 8) / 16f;
            switch (dtype) {
                case "F64" -> b.putDouble(v);
                case "F32" -> b.putFloat(v);
                case "F16" -> b.putShort(Float.floatToFloat16(v));
                case "BF16" -> b.putShort(BFloat16.fromFloat(v));
                case "I64" -> b.putLong(0);
                case "I32" -> b.putInt(0);
                default -> b.put((byte) 0);
            }
        }
        tensors.put(name, new Entry(dtype, shape.clone(), b.array()));
        return this;
    }

    LayerFileBuilder i32(String name, long[] shape, int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putInt(v);
        tensors.put(name, new Entry("I32", shape.clone(), b.array()));
        return this;
    }

    /** Adds an FFN under {@code prefix}: w1, w2 and (gated) w3, or (biases) w1.bias and w2.bias. */
    LayerFileBuilder ffn(String prefix, long f, boolean gated, boolean biases) {
        weight(prefix + ".w1.weight", f, D);
        if (gated) weight(prefix + ".w3.weight", f, D);
        weight(prefix + ".w2.weight", D, f);
        if (biases) {
            weight(prefix + ".w1.bias", f);
            weight(prefix + ".w2.bias", D);
        }
        return this;
    }

    /** Replaces every routed expert by one of {@code activation} (sets moe.activation). */
    LayerFileBuilder experts(String activation, boolean biases) {
        int experts = 0;
        while (tensors.containsKey("experts." + experts + ".w1.weight")) experts++;
        tensors.keySet().removeIf(n -> n.startsWith("experts."));
        for (int e = 0; e < experts; e++) ffn("experts." + e, F, activation.equals("swiglu"), biases);
        return meta("moe.activation", activation);
    }

    LayerFileBuilder remove(String name) {
        if (tensors.remove(name) == null) throw new IllegalArgumentException("no tensor " + name + " to remove");
        return this;
    }

    Path write(Path file) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        tensors.forEach((name, t) -> {
            ObjectNode entry = root.putObject(name);
            entry.put("dtype", t.dtype());
            var dims = entry.putArray("shape");
            for (long d : t.shape()) dims.add(d);
            entry.putArray("data_offsets").add(data.size()).add(data.size() + t.bytes().length);
            data.writeBytes(t.bytes());
        });
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        byte[] body = data.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + body.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(body);
        return Files.write(file, out.array());
    }
}
