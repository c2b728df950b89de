package io.moe4j.engine.moe;

/**
 * The (token, expert, weight) triples a router admitted for one batch, in admission order. Arrays are reused
 * across calls and grow only when a larger batch arrives.
 */
final class Assignments {
    int count;
    int[] token = new int[0];
    int[] expert = new int[0];
    float[] weight = new float[0];

    void reset(int capacity) {
        if (token.length < capacity) {
            token = new int[capacity];
            expert = new int[capacity];
            weight = new float[capacity];
        }
        count = 0;
    }

    void add(int t, int e, float g) {
        token[count] = t;
        expert[count] = e;
        weight[count] = g;
        count++;
    }
}
