package io.moe4j.models.format;

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

/** A tiny safetensors writer for tests: tensors are laid out back to back in the order they are added. */
final class SafeTensorsBuilder {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ObjectNode header = JSON.createObjectNode();
    private final ObjectNode metadata = JSON.createObjectNode();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();
    private int headerPadding;

    SafeTensorsBuilder metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Appends raw little-endian element bytes as a tensor. */
    SafeTensorsBuilder tensor(String name, String dtype, long[] shape, byte[] bytes) {
        ObjectNode entry = header.putObject(name);
        entry.put("dtype", dtype);
        var dims = entry.putArray("shape");
        for (long d : shape) dims.add(d);
        entry.putArray("data_offsets").add(data.size()).add(data.size() + bytes.length);
        data.writeBytes(bytes);
        return this;
    }

    SafeTensorsBuilder f32(String name, long[] shape, float... values) {
        ByteBuffer b = le(values.length * 4);
        for (float v : values) b.putFloat(v);
        return tensor(name, "F32", shape, b.array());
    }

    SafeTensorsBuilder f16(String name, long[] shape, float... values) {
        ByteBuffer b = le(values.length * 2);
        for (float v : values) b.putShort(Float.floatToFloat16(v));
        return tensor(name, "F16", shape, b.array());
    }

    SafeTensorsBuilder bf16(String name, long[] shape, float... values) {
        ByteBuffer b = le(values.length * 2);
        for (float v : values) b.putShort(BFloat16.fromFloat(v));
        return tensor(name, "BF16", shape, b.array());
    }

    SafeTensorsBuilder i32(String name, long[] shape, int... values) {
        ByteBuffer b = le(values.length * 4);
        for (int v : values) b.putInt(v);
        return tensor(name, "I32", shape, b.array());
    }

    /** Trailing spaces after the JSON, as the reference writer uses to align the data area. */
    SafeTensorsBuilder headerPadding(int spaces) {
        headerPadding = spaces;
        return this;
    }

    byte[] build() {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) root.set("__metadata__", metadata);
        root.setAll(header);
        return raw(root.toString() + " ".repeat(headerPadding), data.toByteArray());
    }

    Path write(Path file) throws IOException {
        return Files.write(file, build());
    }

    /** A file with exactly this header text and data area, for malformed cases. */
    static byte[] raw(String headerJson, byte[] dataArea) {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        return le(8 + json.length + dataArea.length).putLong(json.length).put(json).put(dataArea).array();
    }

    static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
