package io.moe4j.models.tokenizer;

import java.util.Arrays;

/** A growable {@code int[]}: token ids are collected without boxing. */
final class IntList {
    private int[] values;
    private int size;

    IntList() { this(16); }

    IntList(int capacity) { values = new int[Math.max(capacity, 4)]; }

    void add(int value) {
        if (size == values.length) values = Arrays.copyOf(values, size * 2);
        values[size++] = value;
    }

    void addAll(int[] more) {
        if (size + more.length > values.length) values = Arrays.copyOf(values, Math.max(size * 2, size + more.length));
        System.arraycopy(more, 0, values, size, more.length);
        size += more.length;
    }

    int size() { return size; }

    /** Drops the first {@code count} values. */
    void removeFirst(int count) {
        System.arraycopy(values, count, values, 0, size - count);
        size -= count;
    }

    int[] toArray() { return Arrays.copyOf(values, size); }
}
