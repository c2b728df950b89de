package io.moe4j.models.format;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moe4j.engine.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file: the header (tensor dtypes, shapes, offsets and {@code __metadata__}), padded
 * to 8 bytes as the reference implementation does, then each tensor's bytes in order. Tensors are written one at a
 * time, so a caller can produce them one at a time too ({@link #add} then {@link #write}).
 */
public final class SafeTensorsWriter {
    /** Produces a tensor's contents when the writer reaches it (lets huge files be written with little memory). */
    public interface Source {
        Tensor tensor();
    }

    private record Entry(String dtype, long[] shape, long bytes, Source source) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** Adds a tensor whose contents {@code source} produces later (it must be contiguous with this dtype and shape). */
    public SafeTensorsWriter add(String name, io.moe4j.engine.tensor.DType dtype, long[] shape, Source source) {
        if (entries.containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        entries.put(name, new Entry(dtype.name(), shape.clone(), dtype.bytesFor(io.moe4j.engine.tensor.Shape.elements(shape)), source));
        return this;
    }

    public SafeTensorsWriter add(String name, Tensor tensor) {
        tensor.requireContiguous("safetensors tensor '" + name + "'");
        return add(name, tensor.dtype(), tensor.shape(), () -> tensor);
    }

    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (var e : entries.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", e.getValue().dtype());
            var shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            var offsets = t.putArray("data_offsets");
            offsets.add(offset);
            offset += e.getValue().bytes();
            offsets.add(offset);
        }
        byte[] text = json.writeValueAsBytes(header);
        int padded = (text.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(text);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            while (head.hasRemaining()) out.write(head);
            for (var e : entries.entrySet()) {
                Tensor t = e.getValue().source().tensor();
                if (t.byteSize() != e.getValue().bytes() || !t.isContiguous()) {
                    throw new IllegalStateException("tensor '" + e.getKey() + "' does not match what was declared");
                }
                ByteBuffer data = t.segment().asByteBuffer();
                while (data.hasRemaining()) out.write(data);
            }
        }
    }

}
