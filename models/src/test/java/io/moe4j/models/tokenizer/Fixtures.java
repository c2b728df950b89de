package io.moe4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The golden files under {@code src/test/resources/tokenizer/}, made by
 * {@code tools/tokenizer-fixtures/make_fixtures.py} with the {@code tokenizers} Python package.
 *
 * <p>With {@code -Dmoe4j.tokenizer.fixtures=DIR} the golden test reads every {@code *.cases.json} in
 * {@code DIR} instead: a fuzz run ({@code make_fixtures.py --out DIR --random 3000}) too big to commit.
 */
final class Fixtures {
    /** Every tokenizer the script writes: the families moe4j must match. */
    static final List<String> NAMES = List.of(
            "llama2", "mistral", "spm-unk", "gpt2", "gpt2-prefix-space", "cl100k", "cl100k-inverted");

    private static final String EXTERNAL = "moe4j.tokenizer.fixtures";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A string with what {@code tokenizers} makes of it. */
    record Case(String text, int[] ids, int[] idsSpecial, String decoded, String decodedSkip, List<String> stream) {}

    /** Ids that are only decoded (random ids, broken UTF-8 from byte tokens, unknown ids). */
    record DecodeCase(int[] ids, String decoded, String decodedSkip, List<String> stream) {}

    record Golden(String name, Path tokenizerJson, int vocabularySize, List<Case> cases, List<DecodeCase> decodeCases) {}

    private Fixtures() {}

    /** The tokenizers the golden test checks: {@link #NAMES}, or those of the external folder. */
    static List<String> goldenNames() {
        String external = System.getProperty(EXTERNAL);
        if (external == null || external.isBlank()) return NAMES;
        try (var files = java.nio.file.Files.list(Path.of(external))) {
            return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".cases.json"))
                    .map(f -> f.substring(0, f.length() - ".cases.json".length())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path path(String fileName) {
        String external = System.getProperty(EXTERNAL);
        if (external != null && !external.isBlank()) return Path.of(external, fileName);
        try {
            var url = Fixtures.class.getResource("/tokenizer/" + fileName);
            if (url == null) throw new IllegalStateException("missing test resource tokenizer/" + fileName);
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tokenizer load(String name) {
        try {
            return Tokenizer.load(path(name + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Golden golden(String name) {
        JsonNode root;
        try {
            root = MAPPER.readTree(path(name + ".cases.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Case> cases = new ArrayList<>();
        for (JsonNode c : root.get("cases")) {
            cases.add(new Case(c.get("text").textValue(), ints(c.get("ids")), ints(c.get("ids_special")),
                    c.get("decoded").textValue(), c.get("decoded_skip").textValue(), chunks(c.get("stream"))));
        }
        List<DecodeCase> decodeCases = new ArrayList<>();
        for (JsonNode c : root.get("decode_cases")) {
            decodeCases.add(new DecodeCase(ints(c.get("ids")), c.get("decoded").textValue(),
                    c.get("decoded_skip").textValue(), chunks(c.get("stream"))));
        }
        return new Golden(name, path(name + ".json"), root.get("vocab_size").intValue(), cases, decodeCases);
    }

    private static int[] ints(JsonNode array) {
        return IntStream.range(0, array.size()).map(i -> array.get(i).intValue()).toArray();
    }

    /** DecodeStream's chunks with "" for its None; null where the fixture has none (or DecodeStream failed). */
    private static List<String> chunks(JsonNode array) {
        if (array == null || array.isNull()) return null;
        List<String> out = new ArrayList<>();
        for (JsonNode chunk : array) out.add(chunk.isNull() ? "" : chunk.textValue());
        return out;
    }

    /** A string with invisible characters made visible, for failure messages. */
    static String show(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            if (cp == '\n') out.append("\\n");
            else if (cp == '\r') out.append("\\r");
            else if (cp == '\t') out.append("\\t");
            else if (cp == '"') out.append("\\\"");
            else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || Character.getType(cp) == Character.FORMAT
                    || Character.isSpaceChar(cp) && cp != ' ') out.append(String.format("\\u%04X", cp));
            else out.appendCodePoint(cp);
        });
        String shown = out.append('"').toString();
        return shown.length() > 200 ? shown.substring(0, 197) + "...\"" : shown;
    }
}
