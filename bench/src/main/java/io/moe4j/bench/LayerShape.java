package io.moe4j.bench;

/**
 * The dims of one benchmarked MoE layer: model width D, expert FFN width F, E experts, k of them per token.
 *
 * @param name as the user wrote it ({@code mixtral}, {@code dbrx} or {@code D,F,E,k}); it labels the rows
 */
public record LayerShape(String name, int model, int ffn, int experts, int topK) {
    public static final LayerShape MIXTRAL = new LayerShape("mixtral", 4096, 14336, 8, 2);
    public static final LayerShape DBRX = new LayerShape("dbrx", 6144, 10752, 16, 4);

    public LayerShape {
        if (model <= 0 || ffn <= 0 || experts <= 0 || topK <= 0) {
            throw new IllegalArgumentException("shape " + name + ": D, F, E and k must be positive");
        }
        if (topK > experts) throw new IllegalArgumentException("shape " + name + ": k=" + topK + " > E=" + experts);
    }

    /** {@code mixtral}, {@code dbrx} or {@code D,F,E,k} such as {@code 2048,7168,8,2}. */
    public static LayerShape parse(String text) {
        String s = text.strip();
        if (s.equalsIgnoreCase("mixtral")) return MIXTRAL;
        if (s.equalsIgnoreCase("dbrx")) return DBRX;
        String[] parts = s.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("unknown shape '" + text + "': use mixtral, dbrx or D,F,E,k (e.g. 2048,7168,8,2)");
        }
        int[] v = new int[4];
        String[] names = {"D", "F", "E", "k"};
        for (int i = 0; i < 4; i++) {
            try {
                v[i] = Integer.parseInt(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("shape '" + text + "': " + names[i] + " is not an integer: '" + parts[i].strip() + "'");
            }
        }
        return new LayerShape(s, v[0], v[1], v[2], v[3]);
    }

    /** Weight elements of one expert: w1 and w3 {@code [F, D]}, w2 {@code [D, F]}. */
    public long expertElements() {
        return 3L * model * ffn;
    }
}
