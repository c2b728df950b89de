package io.moe4j.models.layer;

import io.moe4j.models.format.GoldenFiles;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.Npy;
import io.moe4j.models.format.SafeTensors;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The four shared golden layers open with the manifest's settings and consistent shapes. Skipped when absent. */
class LayerFileGoldenTest {

    @Test
    void everyManifestCaseOpensWithItsSettings() throws IOException {
        JsonNode manifest = new ObjectMapper().readTree(GoldenFiles.require("layers/manifest.json").toFile());
        List<String> cases = new ArrayList<>();
        for (JsonNode entry : manifest) {
            String name = entry.get("case").asText();
            cases.add(name);
            JsonNode meta = entry.get("meta");
            try (Arena arena = Arena.ofConfined(); LayerFile layer = LayerFile.open(GoldenFiles.require("layers/" + name + ".safetensors"))) {
                long d = Npy.read(GoldenFiles.require("layers/" + name + ".x.npy"), arena).dim(1);
                checkConfig(name, meta, layer.config());
                checkShapes(name, layer.config(), layer.weights(), d);
            }
        }
        assertEquals(List.of("mixtral_top2", "switch_cap", "expert_choice", "hierarchical_dense"), cases);
    }

    private static void checkConfig(String name, JsonNode meta, MoeConfig c) {
        assertEquals(meta.get("moe.router").asText(), c.router().key(), name);
        assertEquals(meta.get("moe.num_experts").asInt(), c.numExperts(), name);
        assertEquals(meta.get("moe.top_k").asInt(), c.topK(), name);
        assertEquals(meta.get("moe.activation").asText(), c.activation().key(), name);
        String normalize = meta.has("moe.normalize") ? meta.get("moe.normalize").asText()
                : c.router() == RouterKind.SOFTMAX_TOPK || c.router() == RouterKind.HIERARCHICAL ? "l1" : "none";
        assertEquals(normalize, c.normalize().key(), name);
        if (meta.has("moe.capacity_factor")) assertEquals(meta.get("moe.capacity_factor").asDouble(), c.capacityFactor(), name);
        else assertTrue(Double.isNaN(c.capacityFactor()), name);
        assertEquals(meta.has("moe.groups") ? meta.get("moe.groups").asInt() : 1, c.groups(), name);
        assertEquals(meta.has("moe.group_top_k") ? meta.get("moe.group_top_k").asInt() : 1, c.groupTopK(), name);
        assertEquals(0, c.slots(), name);
        assertEquals(SecondExpert.TOP, c.secondExpert(), name);
        assertFalse(c.noise(), name);
        assertEquals(0, c.seed(), name);
    }

    private static void checkShapes(String name, MoeConfig c, MoeWeights w, long d) {
        assertEquals(d, w.modelSize(), name);
        long gates = c.router() == RouterKind.HIERARCHICAL ? c.groups() : c.numExperts();
        assertArrayEquals(new long[] {gates, d}, w.router().shape(), name);
        assertNull(w.routerBias(), name);
        assertNull(w.noise(), name);
        assertEquals(c.router() == RouterKind.HIERARCHICAL ? c.groups() : 0, w.groupRouters().size(), name);
        for (Tensor g : w.groupRouters()) assertArrayEquals(new long[] {c.expertsPerGroup(), d}, g.shape(), name);
        assertNull(w.phi(), name);
        assertNull(w.hashTable(), name);
        assertEquals(c.numExperts(), w.experts().size(), name);
        for (Expert e : w.experts()) {
            long f = e.ffnSize();
            assertEquals(48, f, name);
            assertArrayEquals(new long[] {f, d}, e.w1().shape(), name);
            assertArrayEquals(new long[] {f, d}, e.w3().shape(), name);
            assertArrayEquals(new long[] {d, f}, e.w2().shape(), name);
            assertNull(e.b1(), name);
            assertEquals(DType.F32, e.w1().dtype(), name);
        }
        assertTrue(w.shared().isEmpty(), name);
        assertNull(w.sharedGate(), name);
        assertNull(w.cmrWeight(), name);
        assertNull(w.dense(), name);
    }

    @Test
    void mixtralTop2() throws IOException {
        try (LayerFile layer = LayerFile.open(GoldenFiles.require("layers/mixtral_top2.safetensors"))) {
            MoeConfig c = layer.config();
            assertEquals(RouterKind.SOFTMAX_TOPK, c.router());
            assertEquals(8, c.numExperts());
            assertEquals(2, c.topK());
            assertEquals(Normalize.L1, c.normalize());
            assertEquals(32, layer.weights().modelSize());
            assertTrue(layer.path().endsWith("mixtral_top2.safetensors"));
        }
    }

    @Test
    void hierarchicalDenseTree() throws IOException {
        try (LayerFile layer = LayerFile.open(GoldenFiles.require("layers/hierarchical_dense.safetensors"))) {
            MoeConfig c = layer.config();
            assertEquals(RouterKind.HIERARCHICAL, c.router());
            assertEquals(2, c.groups());
            assertEquals(2, c.groupTopK());
            assertEquals(4, c.topK());
            assertEquals(Normalize.NONE, c.normalize());
            assertEquals(8, c.choicesPerToken());
            assertEquals(2, layer.weights().groupRouters().size());
        }
    }

    @Test
    void switchCapacityAndExpertChoice() throws IOException {
        try (LayerFile layer = LayerFile.open(GoldenFiles.require("layers/switch_cap.safetensors"))) {
            assertEquals(RouterKind.SWITCH, layer.config().router());
            assertEquals(1.0, layer.config().capacityFactor());
            assertEquals(Normalize.NONE, layer.config().normalize());
        }
        try (LayerFile layer = LayerFile.open(GoldenFiles.require("layers/expert_choice.safetensors"))) {
            assertEquals(RouterKind.EXPERT_CHOICE, layer.config().router());
            assertEquals(2, layer.config().topK());
            assertTrue(Double.isNaN(layer.config().capacityFactor()), "absent: the engine uses k");
        }
    }

    @Test
    void tensorsAreZeroCopyViewsThatDieWithTheFile() throws IOException {
        Path path = GoldenFiles.require("layers/mixtral_top2.safetensors");
        LayerFile layer = LayerFile.open(path);
        Tensor w2 = layer.weights().experts().get(5).w2();
        try (SafeTensors st = SafeTensors.open(path)) {
            assertArrayEquals(st.tensor("experts.5.w2.weight").toFloatArray(), w2.toFloatArray());
            assertArrayEquals(st.tensor("router.weight").toFloatArray(), layer.weights().router().toFloatArray());
        }
        assertTrue(w2.segment().isReadOnly(), "a view into the read-only mapping, not a writable copy");
        assertNotNull(layer.toString());
        layer.close();
        layer.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> w2.getFloat(0, 0));
    }
}
