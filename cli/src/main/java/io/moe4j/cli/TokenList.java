package io.moe4j.cli;

/** Parses {@code --tokens 1,17,242}: comma- or space-separated non-negative ids. */
final class TokenList {
    private TokenList() {}

    static int[] parse(String text) {
        String[] parts = text.trim().split("[,\\s]+");
        if (text.isBlank()) throw new IllegalArgumentException("--tokens is empty");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--tokens: '" + parts[i] + "' is not a token id");
            }
            if (ids[i] < 0) throw new IllegalArgumentException("--tokens: " + ids[i] + " is negative");
        }
        return ids;
    }
}
