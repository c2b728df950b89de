package io.moe4j.engine.moe.reference;

import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** One golden layer case of {@code shared/golden/layers}: the layer, its input and its expected output. */
public record Golden(String name, MoeConfig config, MoeWeights weights, float[][] x, double[][] y,
                     long[] expertLoad, long dropped, double aux, double z, double entropy) {

    /** The cases named in manifest.json. */
    @SuppressWarnings("unchecked")
    public static List<String> names() {
        Path manifest = LayerFiles.goldenLayers().resolve("manifest.json");
        if (!Files.exists(manifest)) return List.of();
        List<String> out = new ArrayList<>();
        for (Object o : (List<Object>) LayerFiles.readJson(manifest)) out.add((String) ((Map<String, Object>) o).get("case"));
        return out;
    }

    @SuppressWarnings("unchecked")
    public static Golden load(String name, Arena arena) {
        Path dir = LayerFiles.goldenLayers();
        LayerFiles.SafeTensors st = LayerFiles.readSafetensors(dir.resolve(name + ".safetensors"), arena);
        MoeConfig cfg = LayerFiles.config(st.metadata());
        MoeWeights w = LayerFiles.weights(st.tensors(), cfg);
        float[][] x = LayerFiles.readNpy(dir.resolve(name + ".x.npy")).rows();
        LayerFiles.Array ya = LayerFiles.readNpy(dir.resolve(name + ".y.npy"));
        int t = (int) ya.shape()[0], d = (int) ya.shape()[1];
        double[][] y = new double[t][d];
        for (int i = 0; i < t; i++) for (int j = 0; j < d; j++) y[i][j] = ya.values()[i * d + j];
        Map<String, Object> s = (Map<String, Object>) LayerFiles.readJson(dir.resolve(name + ".stats.json"));
        List<Object> loads = (List<Object>) s.get("expert_load");
        long[] load = new long[loads.size()];
        for (int e = 0; e < load.length; e++) load[e] = Math.round(((Number) loads.get(e)).doubleValue());
        return new Golden(name, cfg, w, x, y, load, ((Number) s.get("dropped")).longValue(),
                num(s.get("aux_loss")), num(s.get("z_loss")), num(s.get("entropy")));
    }

    private static double num(Object o) {
        return o == null ? Double.NaN : ((Number) o).doubleValue();
    }
}
