package io.moe4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import io.moe4j.models.format.FormatException;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One JSON object of a {@code tokenizer.json} together with the file and its place in it
 * ({@code "pre_tokenizer.pretokenizers[1]"}), so every error says exactly what is wrong where.
 */
final class JsonConfig {
    private final Path file;
    private final String where;
    private final JsonNode node;

    JsonConfig(Path file, String where, JsonNode node) {
        if (!node.isObject()) {
            throw new FormatException(file, where + " must be a JSON object, got " + describe(node));
        }
        this.file = file;
        this.where = where;
        this.node = node;
    }

    Path file() { return file; }

    String where() { return where; }

    /** Whether {@code name} is present and not JSON null. */
    boolean has(String name) {
        JsonNode value = node.get(name);
        return value != null && !value.isNull();
    }

    /** The raw value of a field that must be present. */
    JsonNode required(String name) {
        if (!has(name)) throw error("missing \"" + name + "\"");
        return node.get(name);
    }

    /** The {@code "type"} of a component. */
    String type() {
        return string("type");
    }

    JsonConfig object(String name) {
        return new JsonConfig(file, path(name), required(name));
    }

    /** The objects of an array field that must be present. */
    List<JsonConfig> objects(String name) {
        JsonNode array = required(name);
        if (!array.isArray()) throw error("\"" + name + "\" must be an array, got " + describe(array));
        List<JsonConfig> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) out.add(new JsonConfig(file, path(name) + "[" + i + "]", array.get(i)));
        return out;
    }

    String string(String name) {
        JsonNode value = required(name);
        if (!value.isTextual()) throw error("\"" + name + "\" must be a string, got " + describe(value));
        return value.textValue();
    }

    /** A string field that may be missing or null (then {@code null}). */
    String optionalString(String name) {
        return has(name) ? string(name) : null;
    }

    boolean bool(String name, boolean absent) {
        if (!has(name)) return absent;
        JsonNode value = node.get(name);
        if (!value.isBoolean()) throw error("\"" + name + "\" must be true or false, got " + describe(value));
        return value.booleanValue();
    }

    int integer(String name, int absent) {
        if (!has(name)) return absent;
        JsonNode value = node.get(name);
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 0) {
            throw error("\"" + name + "\" must be a non-negative integer, got " + describe(value));
        }
        return value.intValue();
    }

    /** A string field holding exactly one character (one code point), like Metaspace's replacement. */
    int codePoint(String name) {
        String text = string(name);
        if (text.isEmpty() || text.codePointCount(0, text.length()) != 1) {
            throw error("\"" + name + "\" must be a single character, got \"" + text + "\"");
        }
        return text.codePointAt(0);
    }

    /** The child path {@code where.name}, for nested messages. */
    String path(String name) {
        return where.isEmpty() ? name : where + "." + name;
    }

    FormatException error(String detail) {
        return new FormatException(file, (where.isEmpty() ? "" : where + ": ") + detail);
    }

    /** An unknown {@code type}; {@code supported} lists what moe4j implements at this place. */
    UnsupportedComponentException unsupportedType(String type, String supported) {
        return new UnsupportedComponentException(file, label(), type,
                "moe4j supports " + supported + " (at " + where + ")");
    }

    /** "pre_tokenizer", "decoder", … : the top-level section this object belongs to. */
    private String label() {
        int dot = where.indexOf('.');
        String top = dot < 0 ? where : where.substring(0, dot);
        int bracket = top.indexOf('[');
        return bracket < 0 ? top : top.substring(0, bracket);
    }

    static String describe(JsonNode node) {
        String text = node.toString();
        if (text.length() > 40) text = text.substring(0, 37) + "...";
        return node.getNodeType().name().toLowerCase(Locale.ROOT) + " " + text;
    }
}
