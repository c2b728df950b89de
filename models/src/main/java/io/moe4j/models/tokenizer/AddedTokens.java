package io.moe4j.models.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tokenizer.json {@code added_tokens}: strings ({@code "<s>"}, {@code "<|im_end|>"}, {@code "[INST]"})
 * found in the input before the model sees it and turned straight into their ids, as {@code tokenizers}'
 * {@code AddedVocabulary} does.
 *
 * <p>Tokens with {@code normalized: false} are looked for in the raw input; the text between them is then
 * normalized, and tokens with {@code normalized: true} are looked for in that normalized text (in their own
 * normalized form). Matching is leftmost-longest. The flags: {@code single_word} (only where no word
 * character touches the match), {@code lstrip}/{@code rstrip} (the match swallows the whitespace on its
 * left/right), {@code special} (left out by {@code decode(ids, true)}).
 */
final class AddedTokens {

    /** One added token, with the id {@code tokenizers} gives it. */
    record Token(int id, String content, boolean special, boolean normalized, boolean lstrip, boolean rstrip,
                 boolean singleWord) {}

    /** A stretch of input: text to normalize and tokenize, or an added token ({@code tokenId >= 0}). */
    record Segment(String text, int tokenId, boolean atStart) {
        boolean isToken() { return tokenId >= 0; }
    }

    private final Map<String, Integer> idsByContent = new HashMap<>();
    private final Map<Integer, Token> tokensById = new HashMap<>();
    /** What decoding shows for an id: the normalized form for normalized tokens, else the content. */
    private final Map<Integer, String> decodeText = new HashMap<>();
    private final Set<String> specialContents = new HashSet<>();
    private final Matcher rawMatcher;
    private final Matcher normalizedMatcher;

    /**
     * Ids are assigned the way {@code tokenizers} assigns them when it loads a file: a content the model
     * vocabulary (or an earlier added token) already has keeps that id, the others get the next ids after
     * the model vocabulary. For consistent files these are the ids the file lists.
     */
    AddedTokens(List<Token> declared, Bpe model, Normalizer normalizer) {
        int nextId = model.size();
        for (Token token : declared) {
            if (token.content().isEmpty()) continue;
            Integer existing = idsByContent.get(token.content());
            int id = existing != null ? existing : model.id(token.content());
            if (id < 0) id = nextId++;
            Token assigned = new Token(id, token.content(), token.special(), token.normalized(), token.lstrip(),
                    token.rstrip(), token.singleWord());
            idsByContent.put(token.content(), id);
            tokensById.put(id, assigned);
            if (token.special()) specialContents.add(token.content());
        }
        Map<String, Token> raw = new HashMap<>();
        Map<String, Token> normalized = new HashMap<>();
        for (Token token : tokensById.values()) {
            String text = token.content();
            if (token.normalized() && normalizer != null) text = normalizer.normalize(text);
            decodeText.put(token.id(), text);
            (token.normalized() ? normalized : raw).put(text, token);
        }
        rawMatcher = new Matcher(raw);
        normalizedMatcher = new Matcher(normalized);
    }

    /** The id of an added token's content, or -1. */
    int id(String content) {
        Integer id = idsByContent.get(content);
        return id == null ? -1 : id;
    }

    /** The text decoding uses for {@code id}, or {@code null} if it is not an added token. */
    String decodeText(int id) { return decodeText.get(id); }

    /** The content of added token {@code id}, or {@code null}. */
    String content(int id) {
        Token token = tokensById.get(id);
        return token == null ? null : token.content();
    }

    /** Whether a token string is the content of a special added token. */
    boolean isSpecialContent(String token) { return specialContents.contains(token); }

    boolean isSpecial(int id) {
        Token token = tokensById.get(id);
        return token != null && token.special();
    }

    /** Added tokens that also are model vocabulary entries do not add to the vocabulary size. */
    int countNotIn(Bpe model) {
        int count = 0;
        for (String content : idsByContent.keySet()) if (model.id(content) < 0) count++;
        return count;
    }

    /** Splits raw input around the tokens with {@code normalized: false}. */
    List<Segment> splitRaw(String text) {
        return split(rawMatcher, text, true);
    }

    /** Splits normalized text around the tokens with {@code normalized: true}. */
    List<Segment> splitNormalized(String text, boolean atStart) {
        return split(normalizedMatcher, text, atStart);
    }

    private List<Segment> split(Matcher matcher, String text, boolean atStart) {
        List<Segment> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        if (matcher.isEmpty()) {
            out.add(new Segment(text, -1, atStart));
            return out;
        }
        int segmentStart = 0;
        int searchFrom = 0;
        while (true) {
            Match match = matcher.find(text, searchFrom);
            if (match == null) break;
            int start = match.start();
            int stop = match.start() + match.pattern().length();
            searchFrom = stop;
            Token token = match.token();
            if (token.singleWord() && !isSingleWord(text, start, stop)) continue;
            if (token.lstrip()) start = Math.max(whitespaceStartBefore(text, start), segmentStart);
            if (token.rstrip()) stop = whitespaceEndAfter(text, stop);
            if (segmentStart < start) out.add(new Segment(text.substring(segmentStart, start), -1, atStart && segmentStart == 0));
            out.add(new Segment(text.substring(start, stop), token.id(), false));
            segmentStart = stop;
        }
        if (segmentStart < text.length()) out.add(new Segment(text.substring(segmentStart), -1, atStart && segmentStart == 0));
        return out;
    }

    /** No word character ({@code \w}) right before {@code start} or right after {@code stop}. */
    private static boolean isSingleWord(String text, int start, int stop) {
        boolean startOk = start == 0 || !CharClasses.isWordChar(text.codePointBefore(start));
        boolean stopOk = stop == text.length() || !CharClasses.isWordChar(text.codePointAt(stop));
        return startOk && stopOk;
    }

    /** Where the whitespace that ends {@code text[0, end)} begins. */
    private static int whitespaceStartBefore(String text, int end) {
        int i = end;
        while (i > 0 && CharClasses.isWhiteSpace(text.codePointBefore(i))) i -= Character.charCount(text.codePointBefore(i));
        return i;
    }

    /** Where the whitespace that starts {@code text[start, …)} ends. */
    private static int whitespaceEndAfter(String text, int start) {
        int i = start;
        while (i < text.length() && CharClasses.isWhiteSpace(text.codePointAt(i))) i += Character.charCount(text.codePointAt(i));
        return i;
    }

    private record Match(int start, Token token, String pattern) {}

    /** Leftmost-longest search for a set of strings, indexed by first character. */
    private static final class Matcher {
        private final Map<Character, List<Map.Entry<String, Token>>> byFirstChar = new HashMap<>();

        Matcher(Map<String, Token> patterns) {
            for (Map.Entry<String, Token> entry : patterns.entrySet()) {
                if (entry.getKey().isEmpty()) continue;
                byFirstChar.computeIfAbsent(entry.getKey().charAt(0), c -> new ArrayList<>()).add(entry);
            }
            Comparator<Map.Entry<String, Token>> longestFirst = Comparator.comparingInt(e -> -e.getKey().length());
            byFirstChar.values().forEach(list -> list.sort(longestFirst));
        }

        boolean isEmpty() { return byFirstChar.isEmpty(); }

        /** The leftmost match at or after {@code from}, the longest of those starting there; null if none. */
        Match find(String text, int from) {
            for (int i = from; i < text.length(); i++) {
                List<Map.Entry<String, Token>> candidates = byFirstChar.get(text.charAt(i));
                if (candidates == null) continue;
                for (Map.Entry<String, Token> candidate : candidates) {
                    if (text.startsWith(candidate.getKey(), i)) return new Match(i, candidate.getValue(), candidate.getKey());
                }
            }
            return null;
        }
    }
}
