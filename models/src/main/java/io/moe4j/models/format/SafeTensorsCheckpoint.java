package io.moe4j.models.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.moe4j.engine.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Hugging Face checkpoint: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json} ({@code {"weight_map": {tensor name: shard file name}}}).
 *
 * <p>Opening reads only the headers: each distinct shard is mapped once, and every consistency check the
 * index allows (each shard exists, each tensor is in the shard the index names) is done up front, so later
 * {@link #tensor} calls cannot fail on a bad checkpoint. When an index is present it is authoritative:
 * tensors a shard holds but the index does not list are not exposed.
 */
public final class SafeTensorsCheckpoint implements AutoCloseable {
    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";

    private final Path source;
    private final List<SafeTensors> shards;
    private final Map<String, SafeTensors> byName;
    private final List<String> names;

    private SafeTensorsCheckpoint(Path source, List<SafeTensors> shards, TreeMap<String, SafeTensors> byName) {
        this.source = source;
        this.shards = List.copyOf(shards);
        this.byName = byName;
        this.names = List.copyOf(byName.keySet());
    }

    /**
     * Opens the checkpoint in {@code location}: a directory holding {@value #INDEX_FILE} (preferred) or
     * {@value #SINGLE_FILE}, or directly an index ({@code *.json}) or a single {@code .safetensors} file.
     *
     * @throws NoSuchFileException if neither file is there
     * @throws FormatException     if the index or a shard is malformed or they disagree
     */
    public static SafeTensorsCheckpoint open(Path location) throws IOException {
        if (Files.isRegularFile(location)) {
            return location.getFileName().toString().endsWith(".json") ? sharded(location) : single(location);
        }
        Path index = location.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) return sharded(index);
        Path single = location.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) return single(single);
        throw new NoSuchFileException(location.toString(), null, (Files.isDirectory(location) ? "" : "not a directory; ")
                + "no safetensors checkpoint: looked for " + INDEX_FILE + " and " + SINGLE_FILE);
    }

    private static SafeTensorsCheckpoint single(Path file) throws IOException {
        SafeTensors st = SafeTensors.open(file);
        TreeMap<String, SafeTensors> byName = new TreeMap<>();
        for (String name : st.names()) byName.put(name, st);
        return new SafeTensorsCheckpoint(file, List.of(st), byName);
    }

    private static SafeTensorsCheckpoint sharded(Path index) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        Path dir = index.getParent() != null ? index.getParent() : Path.of(""); // keep paths as the caller gave them

        // Group tensors by shard (in first-mention order) and report every missing shard at once.
        Map<String, List<String>> tensorsByShard = new LinkedHashMap<>();
        weightMap.forEach((tensor, shard) -> tensorsByShard.computeIfAbsent(shard, s -> new ArrayList<>()).add(tensor));
        List<String> missing = new ArrayList<>();
        tensorsByShard.forEach((shard, tensors) -> {
            if (!Files.isRegularFile(dir.resolve(shard))) {
                missing.add("'" + shard + "' (for " + tensors.size() + " tensors, e.g. '" + tensors.getFirst() + "')");
            }
        });
        if (!missing.isEmpty()) {
            throw new FormatException(index, "names shard files that do not exist in " + dir + ": " + String.join(", ", missing));
        }

        List<SafeTensors> shards = new ArrayList<>();
        try {
            TreeMap<String, SafeTensors> byName = new TreeMap<>();
            for (Map.Entry<String, List<String>> e : tensorsByShard.entrySet()) {
                SafeTensors shard = SafeTensors.open(dir.resolve(e.getKey()));
                shards.add(shard);
                for (String tensor : e.getValue()) {
                    if (!shard.contains(tensor)) {
                        throw new FormatException(index, "maps tensor '" + tensor + "' to shard '" + e.getKey()
                                + "', but that shard has no such tensor");
                    }
                    byName.put(tensor, shard);
                }
            }
            return new SafeTensorsCheckpoint(index, shards, byName);
        } catch (Throwable t) {
            shards.forEach(SafeTensors::close);
            throw t;
        }
    }

    /** The {@code weight_map} of an index, checked to be a non-empty map from names to plain file names. */
    private static Map<String, String> readWeightMap(Path index) throws IOException {
        JsonNode root = Json.readObject(index, "index", Files.readAllBytes(index));
        JsonNode map = root.get("weight_map");
        if (map == null) throw new FormatException(index, "missing field 'weight_map'");
        if (!map.isObject()) throw new FormatException(index, "field 'weight_map' must be a JSON object, got " + Json.describe(map));
        if (map.isEmpty()) throw new FormatException(index, "field 'weight_map' is empty");
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode v = e.getValue();
            if (!v.isTextual()) {
                throw new FormatException(index, "weight_map entry for tensor '" + e.getKey()
                        + "' must be a shard file name, got " + Json.describe(v));
            }
            String shard = v.textValue();
            // Shards sit next to the index; refusing paths keeps a hostile index from opening other files.
            if (shard.isEmpty() || shard.equals(".") || shard.equals("..") || shard.contains("/") || shard.contains("\\")) {
                throw new FormatException(index, "weight_map entry for tensor '" + e.getKey()
                        + "' must be a plain file name in the index's directory, got '" + shard + "'");
            }
            weightMap.put(e.getKey(), shard);
        }
        return weightMap;
    }

    /** The index file, or the single safetensors file when there is no index. */
    public Path source() { return source; }

    /** The shards, each opened once, in the order the index first mentions them. */
    public List<SafeTensors> shards() { return shards; }

    /** All tensor names, sorted (shard order says nothing about the model). */
    public List<String> names() { return names; }

    public boolean contains(String name) { return byName.containsKey(name); }

    /**
     * A zero-copy view of the tensor in its shard's mapping.
     *
     * @throws MissingTensorException if the checkpoint has no tensor by that name
     * @throws IllegalStateException  if the checkpoint has been closed
     */
    public Tensor tensor(String name) { return shardOf(name).tensor(name); }

    /** @throws MissingTensorException if the checkpoint has no tensor by that name */
    public SafeTensorInfo info(String name) { return shardOf(name).info(name); }

    /** The shard holding {@code name}. */
    public SafeTensors shardOf(String name) {
        SafeTensors shard = byName.get(name);
        if (shard == null) throw new MissingTensorException(source, name);
        return shard;
    }

    /** Closes every shard. Idempotent. */
    @Override
    public void close() {
        shards.forEach(SafeTensors::close);
    }

    @Override
    public String toString() {
        return "SafeTensorsCheckpoint[" + source + ", " + shards.size() + " shards, " + names.size() + " tensors]";
    }
}
