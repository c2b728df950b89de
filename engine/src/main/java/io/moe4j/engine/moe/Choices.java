package io.moe4j.engine.moe;

/**
 * What a token-choice router picked before capacity: for each token its ranked experts and gate weights,
 * {@code perToken} slots per token (rank-major inside a token). A slot with expert −1 was not chosen (GShard's
 * random second expert that lost its draw).
 */
final class Choices {
    int tokens;
    int perToken;
    int[] expert = new int[0];
    float[] weight = new float[0];

    void reset(int tokens, int perToken) {
        this.tokens = tokens;
        this.perToken = perToken;
        int n = tokens * perToken;
        if (expert.length < n) {
            expert = new int[n];
            weight = new float[n];
        }
    }

    int expert(int t, int r) { return expert[t * perToken + r]; }

    float weight(int t, int r) { return weight[t * perToken + r]; }

    void set(int t, int r, int e, float g) {
        expert[t * perToken + r] = e;
        weight[t * perToken + r] = g;
    }
}
