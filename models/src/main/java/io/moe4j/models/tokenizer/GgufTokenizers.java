package io.moe4j.models.tokenizer;

import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.gguf.GgufFile;
import io.moe4j.models.format.gguf.GgufMetadata;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The tokenizer a GGUF file describes in its {@code tokenizer.ggml.*} metadata, behind the same
 * {@link Tokenizer} interface as a {@code tokenizer.json}.
 *
 * <p>{@code tokenizer.ggml.model}:
 * <ul>
 *   <li>{@code llama}: SentencePiece BPE by {@code tokenizer.ggml.scores} (see {@link SentencePieceTokenizer}),
 *       with {@code tokenizer.ggml.token_type}, byte tokens {@code <0xNN>}, {@code add_space_prefix}
 *       (default true);</li>
 *   <li>{@code gpt2}: byte-level BPE by {@code tokenizer.ggml.merges}, with the pre-tokenizer that
 *       {@code tokenizer.ggml.pre} names: {@code gpt-2} (GPT-2's regex), {@code llama-bpe}, {@code llama3},
 *       {@code dbrx}, {@code smaug-bpe} (the cl100k regex, which llama.cpp uses for all four).</li>
 * </ul>
 * Tokens of type control, user-defined and unknown are matched in the text as whole tokens before the model
 * runs, as llama.cpp does; control and unknown tokens count as special ({@link Tokenizer#isSpecial}, left out
 * by {@code decode(ids, true)}). {@code encode(text, true)} adds {@code bos_token_id} where
 * {@code add_bos_token} says so (default true for {@code llama}, false for {@code gpt2}) and
 * {@code eos_token_id} where {@code add_eos_token} does (default false).
 *
 * <p>Every violation (a missing key, arrays of different lengths, an unknown token type, a special token id
 * outside the vocabulary, a merge naming a token the vocabulary lacks, an unsupported model or pre-tokenizer)
 * is a {@link FormatException} or {@link UnsupportedComponentException} naming the file and the key.
 */
public final class GgufTokenizers {
    static final String MODEL = "tokenizer.ggml.model";
    static final String PRE = "tokenizer.ggml.pre";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String TYPES = "tokenizer.ggml.token_type";
    static final String MERGES = "tokenizer.ggml.merges";
    static final String BOS = "tokenizer.ggml.bos_token_id";
    static final String EOS = "tokenizer.ggml.eos_token_id";
    static final String UNK = "tokenizer.ggml.unknown_token_id";
    static final String PAD = "tokenizer.ggml.padding_token_id";
    static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    /** llama.cpp's token types ({@code gguf.TokenType}). */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    /** The regex of llama.cpp's {@code LLAMA3} pre-tokenizer (cl100k's), used by llama-bpe, dbrx and smaug-bpe. */
    static final String LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String SUPPORTED_PRE = "gpt-2, llama-bpe, llama3, dbrx, smaug-bpe";

    private GgufTokenizers() {}

    /** Opens {@code gguf} and reads its tokenizer. */
    public static Tokenizer load(Path gguf) throws IOException {
        try (GgufFile file = GgufFile.open(gguf)) {
            return from(file.metadata(), gguf);
        }
    }

    /**
     * The tokenizer of a GGUF file's metadata; {@code file} names the file in error messages.
     *
     * @throws FormatException               a key is missing or malformed
     * @throws UnsupportedComponentException the model or pre-tokenizer is one moe4j does not implement
     */
    public static Tokenizer from(GgufMetadata metadata, Path file) {
        String model = metadata.getString(MODEL);
        return switch (model) {
            case "llama" -> sentencePiece(metadata, file);
            case "gpt2" -> byteLevelBpe(metadata, file);
            default -> throw new UnsupportedComponentException(file, MODEL, model, "moe4j reads llama and gpt2");
        };
    }

    private static Tokenizer sentencePiece(GgufMetadata metadata, Path file) {
        String[] tokens = tokens(metadata, file);
        float[] scores = metadata.getFloats(SCORES);
        requireLength(file, SCORES, scores.length, tokens.length);
        int[] types = types(metadata, file, tokens.length);
        Map<String, Integer> ids = ids(tokens);
        boolean[] special = new boolean[tokens.length];
        for (int i = 0; i < tokens.length; i++) special[i] = types[i] == CONTROL || types[i] == UNKNOWN;
        int unknownId = specialId(metadata, file, UNK, tokens.length);
        if (unknownId < 0) {
            for (int i = 0; i < tokens.length && unknownId < 0; i++) if (types[i] == UNKNOWN) unknownId = i;
        }
        specialId(metadata, file, PAD, tokens.length);
        AddedTokens matched = matchedTokens(tokens, types, ids);
        return new SentencePieceTokenizer(tokens, scores, special, ids, matched, unknownId,
                specialId(metadata, file, BOS, tokens.length), specialId(metadata, file, EOS, tokens.length),
                metadata.getBoolean(ADD_BOS, true), metadata.getBoolean(ADD_EOS, false),
                metadata.getBoolean(ADD_SPACE_PREFIX, true));
    }

    private static Tokenizer byteLevelBpe(GgufMetadata metadata, Path file) {
        String[] tokens = tokens(metadata, file);
        int[] types = types(metadata, file, tokens.length);
        Map<String, Integer> ids = ids(tokens);
        List<String> mergeLines = metadata.getStrings(MERGES);
        List<String[]> merges = new ArrayList<>(mergeLines.size());
        for (int i = 0; i < mergeLines.size(); i++) {
            String line = mergeLines.get(i);
            // From index 1, as llama.cpp splits: a token never starts with the separating space.
            int space = line.indexOf(' ', 1);
            if (space < 0) {
                throw new FormatException(file, MERGES + "[" + i + "] must be two tokens separated by a space, got \""
                        + line + "\"");
            }
            merges.add(new String[] {line.substring(0, space), line.substring(space + 1)});
        }
        Bpe bpe;
        try {
            bpe = new Bpe(ids, merges, new Bpe.Options(null, false, false, false, null, null));
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, MERGES + ": " + e.getMessage());
        }
        PreTokenizer preTokenizer = preTokenizer(metadata.getString(PRE), file);
        specialId(metadata, file, UNK, tokens.length);
        specialId(metadata, file, PAD, tokens.length);
        int bos = specialId(metadata, file, BOS, tokens.length);
        int eos = specialId(metadata, file, EOS, tokens.length);
        boolean addBos = metadata.getBoolean(ADD_BOS, false) && bos >= 0;
        boolean addEos = metadata.getBoolean(ADD_EOS, false) && eos >= 0;
        PostProcessor bosEos = (encoded, addSpecialTokens) -> {
            if (!addSpecialTokens || (!addBos && !addEos)) return encoded;
            IntList out = new IntList(encoded.length + 2);
            if (addBos) out.add(bos);
            out.addAll(encoded);
            if (addEos) out.add(eos);
            return out.toArray();
        };
        return new HuggingFaceTokenizer(bpe, new AddedTokens(addedTokens(tokens, types), bpe, null), null,
                preTokenizer, bosEos, ByteLevel::decode);
    }

    /** The pre-tokenizer llama.cpp runs for {@code tokenizer.ggml.pre}, where moe4j has the same one. */
    static PreTokenizer preTokenizer(String pre, Path file) {
        return switch (pre) {
            case "gpt-2" -> PreTokenizers.byteLevel(false, true);
            case "llama-bpe", "llama3", "dbrx", "smaug-bpe" -> {
                Pattern regex = OnigRegex.compile(LLAMA3_REGEX);
                yield PreTokenizers.sequence(List.of(
                        PreTokenizers.split(regex, SplitBehavior.ISOLATED, false),
                        PreTokenizers.byteLevel(false, false)));
            }
            default -> throw new UnsupportedComponentException(file, PRE, pre, "moe4j maps " + SUPPORTED_PRE
                    + " onto its pre-tokenizers");
        };
    }

    private static String[] tokens(GgufMetadata metadata, Path file) {
        List<String> tokens = metadata.getStrings(TOKENS);
        if (tokens.isEmpty()) throw new FormatException(file, TOKENS + " is empty");
        return tokens.toArray(String[]::new);
    }

    /** The token types; all normal when the file has none, as llama.cpp reads such files. */
    private static int[] types(GgufMetadata metadata, Path file, int count) {
        if (!metadata.contains(TYPES)) {
            int[] normal = new int[count];
            java.util.Arrays.fill(normal, NORMAL);
            return normal;
        }
        int[] types = metadata.getInts(TYPES);
        requireLength(file, TYPES, types.length, count);
        for (int i = 0; i < types.length; i++) {
            if (types[i] < NORMAL || types[i] > BYTE) {
                throw new FormatException(file, TYPES + "[" + i + "] is " + types[i]
                        + ", not a token type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)");
            }
        }
        return types;
    }

    private static void requireLength(Path file, String key, int length, int tokens) {
        if (length != tokens) {
            throw new FormatException(file, key + " has " + length + " entries but " + TOKENS + " has " + tokens);
        }
    }

    /** Text to id; where a text occurs twice the later id wins, as in llama.cpp's {@code token_to_id}. */
    private static Map<String, Integer> ids(String[] tokens) {
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) ids.put(tokens[i], i);
        return ids;
    }

    /** The id under {@code key}, or -1 when the file has none. */
    private static int specialId(GgufMetadata metadata, Path file, String key, int tokens) {
        if (!metadata.contains(key)) return -1;
        long id = metadata.getLong(key);
        if (id < 0 || id >= tokens) {
            throw new FormatException(file, key + " is " + id + ", outside the vocabulary of " + tokens + " tokens");
        }
        return (int) id;
    }

    /** The tokens llama.cpp finds in text before tokenizing: control, user-defined and unknown ones. */
    private static List<AddedTokens.Token> addedTokens(String[] tokens, int[] types) {
        List<AddedTokens.Token> out = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] != CONTROL && types[i] != USER_DEFINED && types[i] != UNKNOWN) continue;
            out.add(new AddedTokens.Token(i, tokens[i], types[i] != USER_DEFINED, false, false, false, false));
        }
        return out;
    }

    private static AddedTokens matchedTokens(String[] tokens, int[] types, Map<String, Integer> ids) {
        // AddedTokens takes ids from a model vocabulary; one without merges only looks ids up.
        Bpe lookup = new Bpe(ids, List.of(), new Bpe.Options(null, false, false, false, null, null));
        return new AddedTokens(addedTokens(tokens, types), lookup, null);
    }
}
