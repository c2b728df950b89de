package io.moe4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hand-made tokenizer.json files for unit tests: a tiny BPE vocabulary whose pipeline parts each test
 * replaces. The expected ids in the tests were checked with the {@code tokenizers} package.
 */
final class SmallTokenizers {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** Vocabulary {@code <unk> a b c ab abc bc ▁ ▁a cc} (ids 0..9), merges a+b, ab+c, b+c, ▁+a, c+c. */
    static final String BASE = """
            {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
             "normalizer": null, "pre_tokenizer": null, "post_processor": null, "decoder": null,
             "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
                       "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                       "vocab": {"<unk>": 0, "a": 1, "b": 2, "c": 3, "ab": 4, "abc": 5, "bc": 6, "▁": 7, "▁a": 8, "cc": 9},
                       "merges": ["a b", "ab c", "b c", "▁ a", "c c"]}}
            """;

    private SmallTokenizers() {}

    /** {@link #BASE} with top-level fields replaced by those of {@code topLevel} and model fields by {@code model}. */
    static String json(String topLevel, String model) {
        try {
            ObjectNode root = (ObjectNode) MAPPER.readTree(BASE);
            if (topLevel != null) root.setAll((ObjectNode) MAPPER.readTree(topLevel));
            if (model != null) ((ObjectNode) root.get("model")).setAll((ObjectNode) MAPPER.readTree(model));
            return MAPPER.writeValueAsString(root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Tokenizer load(Path dir, String topLevel, String model) {
        try {
            return Tokenizer.load(write(dir, json(topLevel, model)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path write(Path dir, String text) {
        try {
            Path file = Files.createTempFile(dir, "tokenizer", ".json");
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
