package io.moe4j.models.tokenizer;

/**
 * The BPE merges as an open-addressing hash table from a pair of token ids to the merge's rank (its line
 * in the merges list; lower merges first) and the id of the merged token. No boxing on the hot path.
 */
final class PairTable {
    static final long ABSENT = -1L;

    private final long[] keys;
    private final long[] values;
    private final int mask;

    PairTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
        keys = new long[capacity];
        values = new long[capacity];
        java.util.Arrays.fill(keys, ABSENT);
        mask = capacity - 1;
    }

    /** Sets the merge of {@code (left, right)}; a later merge of the same pair replaces an earlier one. */
    void put(int left, int right, int rank, int merged) {
        long key = key(left, right);
        int slot = slot(key);
        while (keys[slot] != ABSENT && keys[slot] != key) slot = (slot + 1) & mask;
        keys[slot] = key;
        values[slot] = ((long) rank << 32) | (merged & 0xFFFFFFFFL);
    }

    /** {@code rank << 32 | mergedId} for the pair, or {@link #ABSENT}. */
    long get(int left, int right) {
        long key = key(left, right);
        int slot = slot(key);
        while (true) {
            long k = keys[slot];
            if (k == key) return values[slot];
            if (k == ABSENT) return ABSENT;
            slot = (slot + 1) & mask;
        }
    }

    static int rank(long entry) { return (int) (entry >>> 32); }

    static int merged(long entry) { return (int) entry; }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
