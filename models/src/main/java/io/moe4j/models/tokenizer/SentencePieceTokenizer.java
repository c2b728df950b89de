package io.moe4j.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;

/**
 * A GGUF {@code tokenizer.ggml.model = "llama"} vocabulary: SentencePiece BPE driven by token scores, the way
 * llama.cpp's SPM tokenizer works, not by a merge list. Tokens of type control, user-defined and unknown are
 * split out of the text first (leftmost-longest). Every remaining stretch of text gets a space in front
 * ({@code add_space_prefix}: each such stretch starts the text or follows a matched token, which is where
 * llama.cpp prefixes one), spaces become {@code '▁'}, and the stretch starts as one symbol per character.
 * Then the adjacent pair whose concatenation is a token with the highest score is merged (the leftmost among
 * equal scores) until no concatenation is a token. A character no token covers becomes its UTF-8 byte tokens
 * {@code <0xNN>}, or the unknown token where the vocabulary has no byte token for it.
 *
 * <p>Decoding follows the {@code tokenizers} pipeline of Llama's tokenizer.json (the one
 * {@link Tokenizer#decode} promises): {@code '▁'} becomes a space, runs of byte tokens are read as UTF-8
 * (U+FFFD per byte when invalid), and the space that encoding put in front is removed once.
 */
final class SentencePieceTokenizer implements Tokenizer {
    /** U+2581, SentencePiece's stand-in for a space. */
    private static final char SPACE = '\u2581';

    private final String[] tokens;
    private final float[] scores;
    private final boolean[] special;
    private final Map<String, Integer> ids;
    private final AddedTokens matchedTokens;
    private final int[] byteTokens;
    private final int unknownId;
    private final int bosId;
    private final int eosId;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSpacePrefix;
    private final Decoder decoder;

    /**
     * @param special   per id: left out of {@code decode(ids, true)} (control and unknown tokens)
     * @param matched   the tokens found in the text before the score merges (control, user-defined, unknown)
     * @param unknownId the id for characters without a token or byte token, or -1 (they are dropped)
     * @param bosId     the id {@code encode(text, true)} puts in front when {@code addBos}; -1 for none
     * @param eosId     the id {@code encode(text, true)} appends when {@code addEos}; -1 for none
     */
    SentencePieceTokenizer(String[] tokens, float[] scores, boolean[] special, Map<String, Integer> ids,
                           AddedTokens matched, int unknownId, int bosId, int eosId, boolean addBos, boolean addEos,
                           boolean addSpacePrefix) {
        this.tokens = tokens;
        this.scores = scores;
        this.special = special;
        this.ids = ids;
        this.matchedTokens = matched;
        this.unknownId = unknownId;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addBos = addBos && bosId >= 0;
        this.addEos = addEos && eosId >= 0;
        this.addSpacePrefix = addSpacePrefix;
        this.byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(String.format("<0x%02X>", b));
            byteTokens[b] = id == null ? -1 : id;
        }
        List<Decoder> steps = new ArrayList<>();
        steps.add(Decoders.replace(Patterns.literal(String.valueOf(SPACE)), " "));
        steps.add(Decoders::byteFallback);
        steps.add(parts -> List.of(String.join("", parts)));
        if (addSpacePrefix) steps.add(Decoders.strip(' ', 1, 0));
        this.decoder = Decoders.sequence(steps);
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList out = new IntList(Math.max(16, text.length() / 3));
        if (addSpecialTokens && addBos) out.add(bosId);
        for (AddedTokens.Segment segment : matchedTokens.splitRaw(text)) {
            if (segment.isToken()) {
                out.add(segment.tokenId());
            } else {
                String piece = (addSpacePrefix ? " " : "") + segment.text();
                tokenize(piece.replace(' ', SPACE), out);
            }
        }
        if (addSpecialTokens && addEos) out.add(eosId);
        return out.toArray();
    }

    /** A pair of adjacent symbols whose concatenation is a token: {@code size} chars, the token's score. */
    private record Bigram(int left, int right, float score, int size) {}

    /** The score merges over one stretch of text, as llama.cpp's {@code llm_tokenizer_spm_session}. */
    private void tokenize(String text, IntList out) {
        int n = text.codePointCount(0, text.length());
        if (n == 0) return;
        int[] start = new int[n];
        int[] length = new int[n]; // 0 once merged into the left neighbour
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0, offset = 0; i < n; i++) {
            start[i] = offset;
            length[i] = Character.charCount(text.codePointAt(offset));
            offset += length[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Highest score first; among equal scores the leftmost, as llama.cpp's queue orders them.
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, n), (a, b) -> a.score() != b.score()
                ? Float.compare(b.score(), a.score()) : Integer.compare(a.left(), b.left()));
        for (int i = 1; i < n; i++) addBigram(text, start, length, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram bigram = queue.poll();
            int left = bigram.left();
            int right = bigram.right();
            // Stale: one side was merged away or grew since the pair was queued.
            if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != bigram.size()) continue;
            length[left] += length[right];
            length[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            addBigram(text, start, length, prev[left], left, queue);
            addBigram(text, start, length, left, next[left], queue);
        }
        for (int i = 0; i != -1; i = next[i]) {
            String symbol = text.substring(start[i], start[i] + length[i]);
            Integer id = ids.get(symbol);
            if (id != null) {
                out.add(id);
                continue;
            }
            // Only a single character can be missing (every merge makes a token): its bytes, else unknown.
            byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
            boolean allBytes = true;
            for (byte b : bytes) allBytes &= byteTokens[b & 0xFF] >= 0;
            if (allBytes) {
                for (byte b : bytes) out.add(byteTokens[b & 0xFF]);
            } else if (unknownId >= 0) {
                out.add(unknownId);
            }
        }
    }

    private void addBigram(String text, int[] start, int[] length, int left, int right, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) return;
        int size = length[left] + length[right];
        Integer id = ids.get(text.substring(start[left], start[left] + size));
        if (id == null) return;
        queue.add(new Bigram(left, right, scores[id], size));
    }

    @Override
    public String decode(int[] idsToDecode, boolean skipSpecialTokens) {
        List<String> parts = new ArrayList<>(idsToDecode.length);
        for (int id : idsToDecode) {
            if (id < 0 || id >= tokens.length) continue;
            if (skipSpecialTokens && special[id]) continue;
            parts.add(tokens[id]);
        }
        return String.join("", decoder.decode(parts));
    }

    @Override
    public String tokenText(int id) {
        if (id < 0 || id >= tokens.length) throw new IllegalArgumentException("no token has id " + id);
        return tokens[id];
    }

    @Override
    public OptionalInt tokenId(String token) {
        Integer id = ids.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    @Override
    public int vocabularySize() {
        return tokens.length;
    }
}
