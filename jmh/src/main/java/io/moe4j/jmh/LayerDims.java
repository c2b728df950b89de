package io.moe4j.jmh;

/** MoE layer dims of the models we benchmark against. */
record LayerDims(int model, int ffn, int experts, int topK) {
    static LayerDims of(String name) {
        return switch (name) {
            case "mixtral" -> new LayerDims(4096, 14336, 8, 2);
            case "dbrx" -> new LayerDims(6144, 10752, 16, 4);
            case "torch-compare" -> new LayerDims(2048, 7168, 8, 2);
            default -> throw new IllegalArgumentException("unknown shape " + name + " (mixtral, dbrx, torch-compare)");
        };
    }
}
