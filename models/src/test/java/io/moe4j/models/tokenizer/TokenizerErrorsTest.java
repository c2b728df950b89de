package io.moe4j.models.tokenizer;

import io.moe4j.models.format.FormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Files moe4j cannot use fail with a message that names the file, the place in it, and the problem. */
class TokenizerErrorsTest {
    @TempDir
    Path dir;

    @Test
    void unsupportedComponentsAreNamed() {
        expectUnsupported("{\"pre_tokenizer\": {\"type\": \"Whitespace\"}}", null, "Whitespace", "pre_tokenizer");
        expectUnsupported("{\"decoder\": {\"type\": \"CTC\", \"pad_token\": \"<pad>\"}}", null, "CTC", "decoder");
        expectUnsupported("{\"post_processor\": {\"type\": \"Mystery\"}}", null, "Mystery", "post_processor");
        expectUnsupported(null, "{\"type\": \"WordPiece\"}", "WordPiece", "model");
        UnsupportedComponentException nested = expectUnsupported("""
                {"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Precompiled",
                 "precompiled_charsmap": "AAAA"}]}}""", null, "Precompiled", "normalizer");
        assertTrue(nested.getMessage().contains("normalizer.normalizers[1]"), nested.getMessage());
        assertTrue(nested.getMessage().contains("NFKC"), "lists what is supported: " + nested.getMessage());
    }

    @Test
    void malformedJsonNamesTheFile() {
        Path file = SmallTokenizers.write(dir, "{\"model\": {\"type\": \"BPE\",");
        FormatException e = assertThrows(FormatException.class, () -> Tokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());

        expectFormatError("", "empty");
        expectFormatError("[1, 2]", "must be a JSON object");
        expectFormatError("{}", "missing \"model\"");
        expectFormatError("{\"model\": {\"type\": \"BPE\"}}", "model: missing \"vocab\"");
    }

    @Test
    void brokenModelsAreNamed() {
        expectFormatError(SmallTokenizers.json(null, "{\"merges\": [\"a z\"]}"), "\"z\", which is not in the vocabulary");
        expectFormatError(SmallTokenizers.json(null, "{\"merges\": [\"a b c\"]}"), "merge 1 must be two tokens");
        expectFormatError(SmallTokenizers.json(null, "{\"merges\": [[\"a\"]]}"), "merge 1 must be");
        expectFormatError(SmallTokenizers.json(null, "{\"vocab\": {\"a\": -1}, \"merges\": []}"), "vocab entry \"a\"");
        expectFormatError(SmallTokenizers.json(null, "{\"vocab\": [\"a\"], \"merges\": []}"), "\"vocab\" must be an object");
    }

    @Test
    void brokenComponentsAreNamed() {
        expectFormatError(SmallTokenizers.json("""
                {"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated",
                 "invert": false}}""", null), "regex \"(unclosed\"");
        expectFormatError(SmallTokenizers.json("""
                {"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "x"}, "behavior": "Sideways",
                 "invert": false}}""", null), "unknown split behavior \"Sideways\"");
        expectFormatError(SmallTokenizers.json("""
                {"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}}], "pair": [], "special_tokens": {}}}""", null),
                "special token \"<s>\" is not in special_tokens");
        expectFormatError(SmallTokenizers.json("""
                {"pre_tokenizer": {"type": "Metaspace", "replacement": "ab", "prepend_scheme": "always"}}""", null),
                "\"replacement\" must be a single character");
        expectFormatError(SmallTokenizers.json("{\"decoder\": {\"decoders\": []}}", null), "decoder: missing \"type\"");
    }

    @Test
    void missingFileIsAnIoError() {
        assertThrows(NoSuchFileException.class, () -> Tokenizer.load(dir.resolve("nope.json")));
    }

    private UnsupportedComponentException expectUnsupported(String topLevel, String model, String type, String section) {
        Path file = SmallTokenizers.write(dir, SmallTokenizers.json(topLevel, model));
        UnsupportedComponentException e = assertThrows(UnsupportedComponentException.class, () -> Tokenizer.load(file));
        assertEquals(type, e.component());
        assertEquals(file, e.file());
        String message = e.getMessage();
        assertTrue(message.startsWith(file.toString()), message);
        assertTrue(message.contains("unsupported " + section + " " + type), message);
        return e;
    }

    private void expectFormatError(String json, String expected) {
        Path file = SmallTokenizers.write(dir, json);
        FormatException e = assertThrows(FormatException.class, () -> Tokenizer.load(file));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
    }
}
