package io.moe4j.models.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moe4j.models.format.FormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Typed reads from a Hugging Face {@code config.json}; every error names the file and the key. */
final class ConfigJson {
    private final Path file;
    private final JsonNode root;

    private ConfigJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    static ConfigJson read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no config.json");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new FormatException(file, "malformed JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new FormatException(file, "is not a JSON object");
        return new ConfigJson(file, root);
    }

    Path file() { return file; }

    String architecture() {
        JsonNode a = root.get("architectures");
        if (a != null && a.isArray() && !a.isEmpty() && a.get(0).isTextual()) return a.get(0).asText();
        JsonNode type = root.get("model_type");
        if (type != null && type.isTextual()) return type.asText();
        throw new FormatException(file, "names no architecture (\"architectures\" or \"model_type\")");
    }

    JsonNode node(String path) {
        JsonNode n = root;
        for (String part : path.split("\\.")) {
            n = n == null ? null : n.get(part);
        }
        return n == null || n.isNull() ? null : n;
    }

    boolean has(String path) { return node(path) != null; }

    int integer(String path) {
        JsonNode n = node(path);
        if (n == null) throw new FormatException(file, "missing \"" + path + "\"");
        if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble()))) {
            throw new FormatException(file, "\"" + path + "\" must be an integer, got " + n);
        }
        long v = n.asLong();
        if (v < 0 || v > Integer.MAX_VALUE) throw new FormatException(file, "\"" + path + "\" = " + v + " is out of range");
        return (int) v;
    }

    int integer(String path, int fallback) { return has(path) ? integer(path) : fallback; }

    double number(String path, double fallback) {
        JsonNode n = node(path);
        if (n == null) return fallback;
        if (!n.isNumber()) throw new FormatException(file, "\"" + path + "\" must be a number, got " + n);
        return n.asDouble();
    }

    boolean bool(String path, boolean fallback) {
        JsonNode n = node(path);
        if (n == null) return fallback;
        if (!n.isBoolean()) throw new FormatException(file, "\"" + path + "\" must be true or false, got " + n);
        return n.asBoolean();
    }

    /** An id or a list of ids ({@code eos_token_id} may be either). */
    int[] ids(String path) {
        JsonNode n = node(path);
        if (n == null) return new int[0];
        if (n.isIntegralNumber()) return new int[] {n.asInt()};
        if (n.isArray()) {
            int[] out = new int[n.size()];
            for (int i = 0; i < out.length; i++) {
                if (!n.get(i).isIntegralNumber()) throw new FormatException(file, "\"" + path + "\" must hold integers, got " + n);
                out[i] = n.get(i).asInt();
            }
            return out;
        }
        throw new FormatException(file, "\"" + path + "\" must be an integer or a list, got " + n);
    }
}
