package io.moe4j.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model: a piece of text starts as one symbol per character (or per UTF-8 byte, through
 * {@code <0xXX>} tokens, where the vocabulary lacks the character and {@code byte_fallback} is on), then the
 * adjacent pair with the lowest merge rank is merged until no pair has a merge. This follows
 * {@code tokenizers}' {@code Word::merge_all} step by step (a min-queue over {@code (rank, position)} and
 * linked symbols), so ties and stale queue entries resolve the same way.
 */
final class Bpe {
    /** Pieces up to this many chars are cached, as {@code tokenizers} caches words under 256 bytes. */
    private static final int MAX_CACHED_LENGTH = 256;
    private static final int CACHE_CAPACITY = 10_000;

    /**
     * The model's settings.
     *
     * @param unkToken           the token for characters the vocabulary lacks (when byte fallback cannot help), or null
     * @param fuseUnk            whether consecutive unknown characters share one unknown token
     * @param byteFallback       whether unknown characters become their {@code <0xXX>} byte tokens
     * @param ignoreMerges       whether a piece that is itself in the vocabulary is taken whole, without merging
     * @param continuingPrefix   prefix of vocabulary entries that continue a word (WordPiece style), or null
     * @param endOfWordSuffix    suffix of vocabulary entries that end a word, or null
     */
    record Options(String unkToken, boolean fuseUnk, boolean byteFallback, boolean ignoreMerges,
                   String continuingPrefix, String endOfWordSuffix) {}

    private final Map<String, Integer> vocab;
    private final String[] tokens;
    private final PairTable merges;
    /** The merged token of each merge, by rank. */
    private final int[] mergedByRank;
    private final Options options;
    /** Ids of the {@code <0x00>}..{@code <0xFF>} tokens (-1 where missing); null without byte fallback. */
    private final int[] byteTokens;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param merges the merge list in rank order, as token pairs
     * @throws IllegalArgumentException naming a merge whose tokens or result are not in the vocabulary
     */
    Bpe(Map<String, Integer> vocab, List<String[]> merges, Options options) {
        this.vocab = Map.copyOf(vocab);
        this.options = options;
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.tokens = new String[maxId + 1];
        vocab.forEach((token, id) -> tokens[id] = token);
        this.merges = new PairTable(merges.size());
        this.mergedByRank = new int[merges.size()];
        int prefixLength = options.continuingPrefix() == null ? 0 : options.continuingPrefix().length();
        for (int rank = 0; rank < merges.size(); rank++) {
            String left = merges.get(rank)[0];
            String right = merges.get(rank)[1];
            String merged = left + right.substring(Math.min(prefixLength, right.length()));
            int leftId = require(left, "uses", rank, merges.get(rank));
            int rightId = require(right, "uses", rank, merges.get(rank));
            mergedByRank[rank] = require(merged, "makes", rank, merges.get(rank));
            this.merges.put(leftId, rightId, rank, mergedByRank[rank]);
        }
        if (options.byteFallback()) {
            byteTokens = new int[256];
            for (int b = 0; b < 256; b++) byteTokens[b] = id(String.format("<0x%02X>", b));
        } else {
            byteTokens = null;
        }
    }

    private int require(String token, String verb, int rank, String[] merge) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("merge " + (rank + 1) + " (\"" + merge[0] + "\" + \"" + merge[1] + "\") "
                    + verb + " \"" + token + "\", which is not in the vocabulary");
        }
        return id;
    }

    /** The number of vocabulary entries. */
    int size() { return vocab.size(); }

    /** The id of a vocabulary entry, or -1. */
    int id(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    /** The vocabulary entry with this id, or null. */
    String token(int id) {
        return id >= 0 && id < tokens.length ? tokens[id] : null;
    }

    /** Appends the ids of one pre-tokenized piece. */
    void tokenize(String piece, IntList out) {
        if (piece.isEmpty()) return;
        if (options.ignoreMerges()) {
            Integer whole = vocab.get(piece);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = merge(symbols(piece));
            if (piece.length() < MAX_CACHED_LENGTH && cache.size() < CACHE_CAPACITY) cache.put(piece, ids);
        }
        out.addAll(ids);
    }

    /** The starting symbols: one per character, byte tokens or the unknown token where the vocabulary lacks it. */
    private IntList symbols(String piece) {
        IntList symbols = new IntList(piece.length());
        int pendingUnk = -1;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            int next = i + Character.charCount(cp);
            String symbol = piece.substring(i, next);
            if (i > 0 && options.continuingPrefix() != null) symbol = options.continuingPrefix() + symbol;
            if (next == piece.length() && options.endOfWordSuffix() != null) symbol = symbol + options.endOfWordSuffix();
            i = next;
            Integer id = vocab.get(symbol);
            if (id != null) {
                if (pendingUnk >= 0) {
                    symbols.add(pendingUnk);
                    pendingUnk = -1;
                }
                symbols.add(id);
                continue;
            }
            if (byteTokens != null && addBytes(symbol, symbols)) continue;
            if (options.unkToken() != null) {
                int unk = unknownId();
                if (pendingUnk >= 0 && !options.fuseUnk()) symbols.add(pendingUnk);
                pendingUnk = unk;
            }
            // Without an unknown token the character is dropped, as in tokenizers.
        }
        if (pendingUnk >= 0) symbols.add(pendingUnk);
        return symbols;
    }

    /** Adds the byte tokens of {@code symbol}'s UTF-8 bytes; false (adding nothing) if one is missing. */
    private boolean addBytes(String symbol, IntList symbols) {
        byte[] bytes = symbol.getBytes(StandardCharsets.UTF_8);
        for (byte b : bytes) if (byteTokens[b & 0xFF] < 0) return false;
        for (byte b : bytes) symbols.add(byteTokens[b & 0xFF]);
        return true;
    }

    private int unknownId() {
        Integer id = vocab.get(options.unkToken());
        if (id == null) {
            throw new IllegalStateException("unk_token \"" + options.unkToken() + "\" is not in the vocabulary");
        }
        return id;
    }

    /** Applies merges, lowest rank first (leftmost among equal ranks), until none applies. */
    private int[] merge(IntList start) {
        int n = start.size();
        int[] symbol = start.toArray(); // -1 once merged into its left neighbour
        int[] prev = new int[n];
        int[] next = new int[n];
        LongHeap queue = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
            if (i + 1 < n) enqueue(queue, symbol[i], symbol[i + 1], i);
        }
        while (!queue.isEmpty()) {
            long top = queue.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = next[pos];
            if (symbol[pos] < 0 || right < 0) continue;
            // A stale entry (the pair at pos changed since it was queued) is skipped, unless the pair there now
            // merges into the same token: tokenizers compares only the result, and so does this.
            long current = merges.get(symbol[pos], symbol[right]);
            if (current == PairTable.ABSENT || PairTable.merged(current) != mergedByRank[rank]) continue;
            symbol[pos] = mergedByRank[rank];
            symbol[right] = -1;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            if (prev[pos] >= 0) enqueue(queue, symbol[prev[pos]], symbol[pos], prev[pos]);
            if (next[pos] >= 0) enqueue(queue, symbol[pos], symbol[next[pos]], pos);
        }
        IntList out = new IntList(n);
        for (int s : symbol) if (s >= 0) out.add(s);
        return out.toArray();
    }

    private void enqueue(LongHeap queue, int left, int right, int pos) {
        long entry = merges.get(left, right);
        if (entry != PairTable.ABSENT) queue.push(((long) PairTable.rank(entry) << 32) | pos);
    }
}
