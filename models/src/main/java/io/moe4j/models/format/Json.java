package io.moe4j.models.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Strict JSON reading shared by the safetensors header and the checkpoint index. */
final class Json {
    /**
     * Duplicate keys are rejected (two entries for one tensor name would otherwise silently keep the last),
     * and so is anything after the top-level value except whitespace (safetensors pads headers with spaces).
     */
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {}

    /** Parses {@code bytes} (UTF-8) as one JSON object; {@code what} names the part of {@code file} for messages. */
    static JsonNode readObject(Path file, String what, byte[] bytes) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new FormatException(file, what + " is not valid JSON: " + e.getOriginalMessage()
                    + " (at byte " + e.getLocation().getByteOffset() + ")", e);
        } catch (IOException e) {
            // readTree(byte[]) does no I/O; only parse errors can occur.
            throw new FormatException(file, what + " could not be parsed: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) throw new FormatException(file, what + " is empty");
        if (!root.isObject()) throw new FormatException(file, what + " must be a JSON object, got " + describe(root));
        return root;
    }

    /** "number 3", "string \"x\"", … : the JSON type and a short rendering of the value, for messages. */
    static String describe(JsonNode node) {
        String text = node.toString();
        if (text.length() > 40) text = text.substring(0, 37) + "...";
        return node.getNodeType().name().toLowerCase(Locale.ROOT) + " " + text;
    }
}
