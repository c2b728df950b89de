package io.moe4j.models.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.moe4j.models.format.FormatException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Hugging Face {@code tokenizer.json} into a {@link Tokenizer}.
 *
 * <p>Supported: model {@code BPE} (vocab; merges as {@code "a b"} strings or {@code ["a", "b"]} pairs;
 * {@code unk_token}, {@code fuse_unk}, {@code byte_fallback}, {@code ignore_merges},
 * {@code continuing_subword_prefix}, {@code end_of_word_suffix}); the added tokens with all their flags;
 * normalizers Sequence, Prepend, Replace, Strip, Lowercase, NFC, NFD, NFKC, NFKD, ByteLevel; pre-tokenizers
 * Sequence, Split, ByteLevel, Metaspace, Digits; post-processors TemplateProcessing, ByteLevel, BertProcessing,
 * RobertaProcessing, Sequence; decoders Sequence, ByteLevel, ByteFallback, Metaspace, Replace, Fuse, Strip,
 * BPEDecoder. That covers the
 * files of Llama 2 and Mixtral (SentencePiece BPE with byte fallback), Mistral's newer Metaspace layout, GPT-2,
 * and cl100k-style files (DBRX, Llama 3). Any other type is rejected with an
 * {@link UnsupportedComponentException} naming it; a file that breaks the format gets a
 * {@link FormatException} naming the file and the place.
 *
 * <p>Ignored, because they do not change ids for an inference engine: {@code truncation} and
 * {@code padding} (moe4j does its own context handling), BPE {@code dropout} (inference tokenizes
 * deterministically), and pair templates (one sequence is encoded at a time).
 */
public final class TokenizerJson {
    /** Larger ids would be a corrupt file, not a real vocabulary (the largest have about 260,000 entries). */
    static final int MAX_ID = 1 << 24;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private TokenizerJson() {}

    /**
     * Reads {@code file}.
     *
     * @throws IOException                   the file cannot be read
     * @throws UnsupportedComponentException the file uses a component moe4j does not implement
     * @throws FormatException               the file is not a valid tokenizer.json
     */
    public static Tokenizer load(Path file) throws IOException {
        return parse(file, Files.readAllBytes(file));
    }

    /** Parses the bytes of a tokenizer.json; {@code file} names it in messages. */
    static Tokenizer parse(Path file, byte[] json) {
        JsonConfig root = new JsonConfig(file, "", readTree(file, json));
        Normalizer normalizer = root.has("normalizer") ? Normalizers.parse(root.object("normalizer")) : null;
        PreTokenizer preTokenizer = root.has("pre_tokenizer") ? PreTokenizers.parse(root.object("pre_tokenizer")) : null;
        PostProcessor postProcessor = root.has("post_processor")
                ? PostProcessors.parse(root.object("post_processor")) : PostProcessors.NONE;
        Decoder decoder = root.has("decoder") ? Decoders.parse(root.object("decoder")) : null;
        Bpe model = model(root.object("model"));
        AddedTokens addedTokens = new AddedTokens(addedTokens(root), model, normalizer);
        return new HuggingFaceTokenizer(model, addedTokens, normalizer, preTokenizer, postProcessor, decoder);
    }

    private static JsonNode readTree(Path file, byte[] json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new FormatException(file, "not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        } catch (IOException e) {
            throw new FormatException(file, "could not be parsed as JSON: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) throw new FormatException(file, "is empty, not a tokenizer.json");
        if (!root.isObject()) {
            throw new FormatException(file, "a tokenizer.json must be a JSON object, got " + JsonConfig.describe(root));
        }
        return root;
    }

    private static Bpe model(JsonConfig config) {
        String type = config.has("type") ? config.type() : config.has("merges") ? "BPE" : "(no type)";
        if (!type.equals("BPE")) throw config.unsupportedType(type, "BPE");
        Map<String, Integer> vocab = vocab(config);
        List<String[]> merges = merges(config);
        Bpe.Options options = new Bpe.Options(
                config.optionalString("unk_token"),
                config.bool("fuse_unk", false),
                config.bool("byte_fallback", false),
                config.bool("ignore_merges", false),
                config.optionalString("continuing_subword_prefix"),
                config.optionalString("end_of_word_suffix"));
        try {
            return new Bpe(vocab, merges, options);
        } catch (IllegalArgumentException e) {
            throw config.error(e.getMessage());
        }
    }

    private static Map<String, Integer> vocab(JsonConfig config) {
        JsonNode vocab = config.required("vocab");
        if (!vocab.isObject()) throw config.error("\"vocab\" must be an object of token: id, got " + JsonConfig.describe(vocab));
        Map<String, Integer> out = new HashMap<>(vocab.size() * 2);
        for (Map.Entry<String, JsonNode> entry : vocab.properties()) {
            JsonNode id = entry.getValue();
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= MAX_ID) {
                throw config.error("vocab entry \"" + entry.getKey() + "\" must have an id in [0, " + MAX_ID + "), got "
                        + JsonConfig.describe(id));
            }
            out.put(entry.getKey(), id.intValue());
        }
        return out;
    }

    /** Merges as {@code "a b"} lines (a leading {@code #version} line is skipped) or {@code ["a", "b"]} pairs. */
    private static List<String[]> merges(JsonConfig config) {
        JsonNode merges = config.required("merges");
        if (!merges.isArray()) throw config.error("\"merges\" must be an array, got " + JsonConfig.describe(merges));
        List<String[]> out = new ArrayList<>(merges.size());
        for (JsonNode merge : merges) {
            if (merge.isTextual()) {
                if (merge.textValue().startsWith("#version")) continue;
                String[] parts = merge.textValue().split(" ", -1);
                if (parts.length != 2) {
                    throw config.error("merge " + (out.size() + 1) + " must be two tokens separated by one space, got "
                            + JsonConfig.describe(merge));
                }
                out.add(parts);
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                out.add(new String[] {merge.get(0).textValue(), merge.get(1).textValue()});
            } else {
                throw config.error("merge " + (out.size() + 1) + " must be \"a b\" or [\"a\", \"b\"], got "
                        + JsonConfig.describe(merge));
            }
        }
        return out;
    }

    private static List<AddedTokens.Token> addedTokens(JsonConfig root) {
        if (!root.has("added_tokens")) return List.of();
        List<AddedTokens.Token> out = new ArrayList<>();
        for (JsonConfig token : root.objects("added_tokens")) {
            boolean special = token.bool("special", false);
            out.add(new AddedTokens.Token(token.integer("id", -1), token.string("content"), special,
                    token.bool("normalized", !special), token.bool("lstrip", false), token.bool("rstrip", false),
                    token.bool("single_word", false)));
        }
        return out;
    }
}
