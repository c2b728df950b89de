package io.moe4j.models.layer;

import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.engine.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static io.moe4j.models.layer.LayerFileBuilder.D;
import static io.moe4j.models.layer.LayerFileBuilder.F;
import static io.moe4j.models.layer.LayerFileBuilder.layer;
import static io.moe4j.models.layer.LayerFileBuilder.mixtral;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every router's tensor set, every activation and weight dtype, and the defaults of absent keys. */
class LayerFileRoutersTest extends LayerFileTesting {

    @Test
    void absentKeysTakeTheDefaults() throws IOException {
        try (LayerFile layer = open(mixtral().meta("format", "pt"))) {
            MoeConfig c = layer.config();
            assertEquals(new MoeConfig(RouterKind.SOFTMAX_TOPK, 4, 2, Activation.SWIGLU, Normalize.L1, Double.NaN,
                    1, 1, 0, SecondExpert.TOP, false, 0), c);
            MoeWeights w = layer.weights();
            assertEquals(D, w.modelSize());
            assertArrayEquals(new long[] {4, D}, w.router().shape());
            assertNull(w.routerBias());
            assertEquals(4, w.experts().size());
            for (Expert e : w.experts()) {
                assertEquals(F, e.ffnSize());
                assertNotNull(e.w3());
                assertNull(e.b1());
                assertNull(e.b2());
            }
            assertTrue(w.shared().isEmpty());
            assertTrue(w.groupRouters().isEmpty());
        }
    }

    @Test
    void everyKeyGivenExplicitly() throws IOException {
        LayerFileBuilder b = mixtral().weight("router.bias", 4).meta("moe.num_experts", "4").meta("moe.activation", "swiglu")
                .meta("moe.normalize", "l2").meta("moe.capacity_factor", "1.25").meta("moe.groups", "1")
                .meta("moe.group_top_k", "1").meta("moe.slots", "0").meta("moe.second_expert", "top")
                .meta("moe.noise", "false").meta("moe.seed", "18446744073709551615");
        try (LayerFile layer = open(b)) {
            assertEquals(new MoeConfig(RouterKind.SOFTMAX_TOPK, 4, 2, Activation.SWIGLU, Normalize.L2, 1.25,
                    1, 1, 0, SecondExpert.TOP, false, -1L), layer.config());
            assertArrayEquals(new long[] {4}, layer.weights().routerBias().shape());
        }
    }

    @Test
    void dense() throws IOException {
        try (LayerFile layer = open(layer("dense", 4))) {
            assertEquals(4, layer.config().topK(), "k = E");
            assertEquals(Normalize.NONE, layer.config().normalize());
        }
        try (LayerFile layer = open(layer("dense", 4).meta("moe.top_k", "4").meta("moe.normalize", "none"))) {
            assertEquals(4, layer.config().topK());
        }
    }

    @Test
    void noisyTopk() throws IOException {
        LayerFileBuilder b = layer("noisy_topk", 4).weight("router.noise.weight", 4, D).meta("moe.top_k", "2")
                .meta("moe.noise", "True").meta("moe.seed", "42");
        try (LayerFile layer = open(b)) {
            assertTrue(layer.config().noise());
            assertEquals(42, layer.config().seed());
            assertEquals(Normalize.L1, layer.config().normalize());
            assertArrayEquals(new long[] {4, D}, layer.weights().noise().shape());
        }
        try (LayerFile layer = open(b.meta("moe.noise", "false"))) {
            assertFalse(layer.config().noise());
        }
    }

    @Test
    void switchDefaultsToTop1AndTakesGShardSettings() throws IOException {
        try (LayerFile layer = open(layer("switch", 4))) {
            MoeConfig c = layer.config();
            assertEquals(1, c.topK());
            assertEquals(Normalize.NONE, c.normalize());
            assertTrue(Double.isNaN(c.capacityFactor()));
        }
        LayerFileBuilder gshard = layer("switch", 4).meta("moe.top_k", "2").meta("moe.second_expert", "random")
                .meta("moe.capacity_factor", "2").meta("moe.seed", "7");
        try (LayerFile layer = open(gshard)) {
            assertEquals(SecondExpert.RANDOM, layer.config().secondExpert());
            assertEquals(2.0, layer.config().capacityFactor());
            assertEquals(7, layer.config().seed());
        }
    }

    @Test
    void expertChoice() throws IOException {
        try (LayerFile layer = open(layer("expert_choice", 4).meta("moe.top_k", "2").meta("moe.capacity_factor", "1.5e0"))) {
            assertEquals(RouterKind.EXPERT_CHOICE, layer.config().router());
            assertEquals(1.5, layer.config().capacityFactor());
            assertEquals(Normalize.NONE, layer.config().normalize());
        }
    }

    @Test
    void hashWithoutRouterLogits() throws IOException {
        LayerFileBuilder b = layer("hash", 4).remove("router.weight").i32("hash.table", new long[] {6}, 0, 3, 1, 2, 3, 0);
        try (LayerFile layer = open(b)) {
            assertEquals(1, layer.config().topK());
            assertNull(layer.weights().router());
            assertEquals(DType.I32, layer.weights().hashTable().dtype());
            assertEquals(3f, layer.weights().hashTable().getFloat(4));
        }
    }

    @Test
    void hashWithRouterLogits() throws IOException {
        LayerFileBuilder b = layer("hash", 4).weight("router.bias", 4).meta("moe.top_k", "1")
                .i32("hash.table", new long[] {3}, 3, 2, 1);
        try (LayerFile layer = open(b)) {
            assertArrayEquals(new long[] {4, D}, layer.weights().router().shape());
            assertNotNull(layer.weights().routerBias());
        }
    }

    @Test
    void softInfersOrTakesSlots() throws IOException {
        LayerFileBuilder b = layer("soft", 4).remove("router.weight").weight("soft.phi", 12, D);
        try (LayerFile layer = open(b)) {
            assertEquals(3, layer.config().slots(), "12 rows / E = 4");
            assertEquals(1, layer.config().topK());
            assertNull(layer.weights().router());
            assertArrayEquals(new long[] {12, D}, layer.weights().phi().shape());
        }
        try (LayerFile layer = open(b.meta("moe.slots", "3").meta("moe.top_k", "1"))) {
            assertEquals(3, layer.config().slots());
        }
    }

    @Test
    void hierarchicalInfersGroupsAndDefaultsToEveryGroup() throws IOException {
        try (LayerFile layer = open(hierarchical())) {
            MoeConfig c = layer.config();
            assertEquals(2, c.groups(), "from groups.{g}.router.weight");
            assertEquals(2, c.groupTopK(), "default: every group");
            assertEquals(Normalize.L1, c.normalize());
            assertArrayEquals(new long[] {2, D}, layer.weights().router().shape());
            assertEquals(2, layer.weights().groupRouters().size());
            assertArrayEquals(new long[] {4, D}, layer.weights().groupRouters().get(1).shape());
        }
        LayerFileBuilder sparse = hierarchical().weight("router.bias", 2).meta("moe.groups", "2").meta("moe.group_top_k", "1");
        try (LayerFile layer = open(sparse)) {
            assertEquals(1, layer.config().groupTopK());
            assertEquals(2, layer.config().choicesPerToken());
        }
    }

    /** 2 groups × 4 experts, k = 2 per group. */
    static LayerFileBuilder hierarchical() {
        return layer("hierarchical", 8).weight("router.weight", 2, D).weight("groups.0.router.weight", 4, D)
                .weight("groups.1.router.weight", 4, D).meta("moe.top_k", "2");
    }

    @Test
    void sharedExpertsWithAndWithoutGate() throws IOException {
        LayerFileBuilder b = mixtral().ffn("shared.0", 12, true, false).ffn("shared.1", 12, true, false);
        try (LayerFile layer = open(b)) {
            assertEquals(2, layer.weights().shared().size());
            assertEquals(12, layer.weights().shared().get(1).ffnSize(), "shared F may differ from the experts'");
            assertNull(layer.weights().sharedGate());
        }
        try (LayerFile layer = open(b.weight("shared_gate.weight", 1, D))) {
            assertArrayEquals(new long[] {1, D}, layer.weights().sharedGate().shape());
        }
    }

    @Test
    void conditionalRoutingWithDenseFfn() throws IOException {
        LayerFileBuilder b = mixtral().weight("cmr.weight", 1, D).weight("cmr.bias", 1).ffn("dense", 10, true, false);
        try (LayerFile layer = open(b)) {
            MoeWeights w = layer.weights();
            assertArrayEquals(new long[] {1, D}, w.cmrWeight().shape());
            assertArrayEquals(new long[] {1}, w.cmrBias().shape());
            assertEquals(10, w.dense().ffnSize());
            assertNotNull(w.dense().w3());
        }
    }

    @ParameterizedTest
    @CsvSource({"relu, false", "relu, true", "gelu, false", "gelu, true", "silu, false", "silu, true"})
    void plainActivationsWithAndWithoutBiases(String activation, boolean biases) throws IOException {
        LayerFileBuilder b = mixtral().experts(activation, biases).ffn("shared.0", 5, false, biases)
                .weight("cmr.weight", 1, D).weight("cmr.bias", 1).ffn("dense", 7, false, biases);
        try (LayerFile layer = open(b)) {
            assertEquals(Activation.parse(activation), layer.config().activation());
            MoeWeights w = layer.weights();
            for (Expert e : w.experts()) {
                assertNull(e.w3());
                assertEquals(biases, e.b1() != null);
                assertEquals(biases, e.b2() != null);
                if (biases) assertArrayEquals(new long[] {D}, e.b2().shape());
            }
            assertEquals(biases, w.shared().getFirst().b1() != null);
            assertEquals(biases, w.dense().b2() != null);
            if (biases) assertArrayEquals(new long[] {7}, w.dense().b1().shape(), "the dense FFN's own F");
        }
    }

    @Test
    void oneBiasWithoutTheOther() throws IOException {
        try (LayerFile layer = open(mixtral().experts("relu", false).weight("experts.2.w2.bias", D))) {
            assertNull(layer.weights().experts().get(2).b1());
            assertNotNull(layer.weights().experts().get(2).b2());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16"})
    void halfPrecisionWeights(String dtype) throws IOException {
        LayerFileBuilder b = layer("softmax_topk", 4, dtype).meta("moe.top_k", "2").weight("router.bias", 4)
                .ffn("shared.0", 4, true, false).weight("shared_gate.weight", 1, D);
        try (LayerFile layer = open(b)) {
            DType expected = DType.valueOf(dtype);
            MoeWeights w = layer.weights();
            assertEquals(expected, w.router().dtype());
            assertEquals(expected, w.experts().get(3).w2().dtype());
            assertEquals(expected, w.shared().getFirst().w3().dtype());
            assertEquals(expected, w.sharedGate().dtype());
        }
    }

    @Test
    void mixedDtypes() throws IOException {
        LayerFileBuilder b = layer("softmax_topk", 2, "BF16").meta("moe.top_k", "1").dtype("F32").weight("router.weight", 2, D)
                .dtype("F16").weight("experts.1.w3.weight", F, D);
        try (LayerFile layer = open(b)) {
            assertEquals(DType.F32, layer.weights().router().dtype());
            assertEquals(DType.BF16, layer.weights().experts().get(1).w1().dtype());
            assertEquals(DType.F16, layer.weights().experts().get(1).w3().dtype());
        }
    }
}
