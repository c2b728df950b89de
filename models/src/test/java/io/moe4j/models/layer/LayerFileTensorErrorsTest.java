package io.moe4j.models.layer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static io.moe4j.models.layer.LayerFileBuilder.D;
import static io.moe4j.models.layer.LayerFileBuilder.F;
import static io.moe4j.models.layer.LayerFileBuilder.layer;
import static io.moe4j.models.layer.LayerFileBuilder.mixtral;
import static io.moe4j.models.layer.LayerFileRoutersTest.hierarchical;

/** Missing, misshapen, mistyped and unexpected tensors: each error names the file and the tensor. */
class LayerFileTensorErrorsTest extends LayerFileTesting {

    // ---- missing

    @Test
    void missingRouterWeight() throws IOException {
        reject(mixtral().remove("router.weight"), "tensor 'router.weight' missing", "moe.router = softmax_topk");
    }

    @Test
    void missingNoiseWeight() throws IOException {
        reject(layer("noisy_topk", 4).meta("moe.top_k", "2"), "tensor 'router.noise.weight' missing");
    }

    @Test
    void missingGroupRouter() throws IOException {
        reject(hierarchical().meta("moe.groups", "2").remove("groups.1.router.weight"), "tensor 'groups.1.router.weight' missing");
    }

    @Test
    void missingSoftPhi() throws IOException {
        reject(layer("soft", 4).remove("router.weight"), "missing tensor 'soft.phi'", "moe.slots");
        reject(layer("soft", 4).remove("router.weight").meta("moe.slots", "2"), "tensor 'soft.phi' missing");
    }

    @Test
    void missingHashTable() throws IOException {
        reject(layer("hash", 4), "tensor 'hash.table' missing");
    }

    @Test
    void missingExpertParts() throws IOException {
        reject(mixtral().remove("experts.2.w3.weight"), "tensor 'experts.2.w3.weight' missing", "moe.activation = swiglu");
        reject(mixtral().remove("experts.3.w2.weight"), "tensor 'experts.3.w2.weight' missing");
        reject(mixtral().remove("experts.0.w1.weight"), "tensor 'experts.0.w1.weight' missing");
        reject(mixtral().remove("experts.1.w1.weight").remove("experts.1.w2.weight").remove("experts.1.w3.weight"),
                "tensor 'experts.1.w1.weight' missing");
    }

    @Test
    void noExpertsAtAll() throws IOException {
        LayerFileBuilder b = mixtral();
        for (int e = 0; e < 4; e++) b.remove("experts." + e + ".w1.weight").remove("experts." + e + ".w2.weight").remove("experts." + e + ".w3.weight");
        reject(b, "experts.0.w1.weight");
    }

    @Test
    void sharedExpertsMustBeContiguous() throws IOException {
        reject(mixtral().ffn("shared.1", 4, true, false), "tensor 'shared.0.w1.weight' missing");
    }

    @Test
    void conditionalRoutingIsAllOrNone() throws IOException {
        reject(mixtral().weight("cmr.weight", 1, D), "tensor 'cmr.bias' missing", "cmr.weight, cmr.bias and dense.* together");
        reject(mixtral().ffn("dense", 4, true, false), "tensor 'cmr.weight' missing");
        reject(mixtral().weight("cmr.weight", 1, D).weight("cmr.bias", 1), "tensor 'dense.w1.weight' missing");
        reject(mixtral().weight("cmr.weight", 1, D).weight("cmr.bias", 1).weight("dense.w1.weight", 4, D),
                "tensor 'dense.w2.weight' missing");
    }

    // ---- shapes

    @Test
    void routerShape() throws IOException {
        reject(mixtral().weight("router.weight", 4, D - 1), "tensor 'router.weight' has shape [4, 7], expected [4, 8]");
        reject(mixtral().weight("router.weight", 4 * D), "tensor 'router.weight' has shape [32], expected [4, 8]");
        reject(mixtral().weight("router.bias", 5), "tensor 'router.bias' has shape [5], expected [4]");
    }

    @Test
    void hierarchicalTopGateIsGByD() throws IOException {
        reject(hierarchical().weight("router.weight", 8, D), "tensor 'router.weight' has shape [8, 8], expected [2, 8]");
        reject(hierarchical().weight("groups.0.router.weight", 8, D), "tensor 'groups.0.router.weight' has shape [8, 8], expected [4, 8]");
    }

    @Test
    void expertShapes() throws IOException {
        reject(mixtral().weight("experts.1.w2.weight", F, D), "tensor 'experts.1.w2.weight' has shape [6, 8], expected [8, 6]");
        reject(mixtral().weight("experts.3.w1.weight", F + 1, D), "tensor 'experts.3.w1.weight' has shape [7, 8], expected [6, 8]");
        reject(mixtral().weight("experts.2.w3.weight", F, D + 1), "tensor 'experts.2.w3.weight' has shape [6, 9], expected [6, 8]");
        reject(mixtral().weight("experts.0.w1.weight", F * D), "tensor 'experts.0.w1.weight' has shape [48], expected [F, D]");
        reject(mixtral().weight("experts.0.w1.weight", 0, D), "tensor 'experts.0.w1.weight' has shape [0, 8]");
    }

    @Test
    void biasShapes() throws IOException {
        reject(mixtral().experts("gelu", true).weight("experts.0.w2.bias", F), "tensor 'experts.0.w2.bias' has shape [6], expected [8]");
        reject(mixtral().experts("gelu", true).weight("experts.3.w1.bias", 1, F), "tensor 'experts.3.w1.bias' has shape [1, 6], expected [6]");
    }

    @Test
    void sharedAndDenseShapes() throws IOException {
        reject(mixtral().ffn("shared.0", 12, true, false).weight("shared.0.w2.weight", D, 10),
                "tensor 'shared.0.w2.weight' has shape [8, 10], expected [8, 12]");
        reject(mixtral().ffn("shared.0", 12, true, false).weight("shared.0.w1.weight", 12, D + 1),
                "tensor 'shared.0.w1.weight' has shape [12, 9], expected [any, 8]");
        reject(mixtral().ffn("shared.0", 4, true, false).weight("shared_gate.weight", 2, D),
                "tensor 'shared_gate.weight' has shape [2, 8], expected [1, 8]");
        reject(mixtral().weight("cmr.weight", 1, D).weight("cmr.bias", 2).ffn("dense", 4, true, false),
                "tensor 'cmr.bias' has shape [2], expected [1]");
    }

    @Test
    void softPhiShape() throws IOException {
        LayerFileBuilder soft = layer("soft", 4).remove("router.weight");
        reject(soft.weight("soft.phi", 10, D), "tensor 'soft.phi' has 10 rows, not a positive multiple of E = 4");
        reject(soft.weight("soft.phi", 12, D).meta("moe.slots", "2"), "tensor 'soft.phi' has shape [12, 8], expected [8, 8]");
    }

    // ---- dtypes

    @ParameterizedTest
    @ValueSource(strings = {"F64", "I32", "I64", "I8"})
    void weightDtypes(String dtype) throws IOException {
        reject(mixtral().tensor("router.weight", dtype, 4, D), "tensor 'router.weight' has dtype " + dtype + ", expected F32, F16 or BF16");
        reject(mixtral().tensor("experts.2.w2.weight", dtype, D, F), "tensor 'experts.2.w2.weight' has dtype " + dtype);
    }

    @ParameterizedTest
    @ValueSource(strings = {"I64", "F32", "I8"})
    void hashTableMustBeI32(String dtype) throws IOException {
        reject(layer("hash", 4).tensor("hash.table", dtype, 3), "tensor 'hash.table' has dtype " + dtype + ", expected I32");
    }

    @Test
    void hashTableShapeAndEntries() throws IOException {
        reject(layer("hash", 4).i32("hash.table", new long[] {2, 2}, 0, 1, 2, 3), "tensor 'hash.table' has shape [2, 2], expected [any]");
        reject(layer("hash", 4).i32("hash.table", new long[] {0}), "tensor 'hash.table' is empty");
        reject(layer("hash", 4).i32("hash.table", new long[] {5}, 0, 1, 4, 2, 9), "tensor 'hash.table' entry 2 is 4, not an expert index in [0, 4)");
        reject(layer("hash", 4).i32("hash.table", new long[] {3}, 0, -1, 2), "tensor 'hash.table' entry 1 is -1");
    }

    // ---- tensors the layer does not call for

    @ParameterizedTest
    @ValueSource(strings = {"router.wieght", "experts.01.w1.weight", "experts.0.w4.weight", "experts.0.w3.bias",
            "model.layers.0.mlp.gate.weight", "shared.0.gate.weight", "groups.0.weight", "dense.w1", "router.noise.bias"})
    void namesOutsideTheContract(String name) throws IOException {
        reject(mixtral().weight(name, 2, 2), "tensor '" + name + "' is not a layer-file tensor name");
    }

    @Test
    void w3ForPlainActivations() throws IOException {
        reject(mixtral().experts("relu", false).weight("experts.1.w3.weight", F, D),
                "tensor 'experts.1.w3.weight' is not part of this layer", "only for swiglu", "moe.activation = relu");
        reject(mixtral().experts("silu", false).ffn("shared.0", 4, true, false), "tensor 'shared.0.w3.weight' is not part of this layer");
    }

    @Test
    void biasesForSwiglu() throws IOException {
        reject(mixtral().weight("experts.0.w1.bias", F), "tensor 'experts.0.w1.bias' is not part of this layer",
                "biases are only for relu, gelu and silu");
        reject(mixtral().ffn("shared.0", 4, true, true), "tensor 'shared.0.w1.bias'");
    }

    @Test
    void routerTensorsOfOtherRouters() throws IOException {
        reject(mixtral().weight("router.noise.weight", 4, D), "tensor 'router.noise.weight' is not part of this layer", "noisy_topk");
        reject(mixtral().weight("soft.phi", 4, D), "tensor 'soft.phi' is not part of this layer", "only the soft router");
        reject(layer("switch", 4).i32("hash.table", new long[] {1}, 0), "tensor 'hash.table' is not part of this layer");
        reject(mixtral().weight("groups.0.router.weight", 4, D), "tensor 'groups.0.router.weight' is not part of this layer", "hierarchical");
    }

    @Test
    void groupBeyondGroups() throws IOException {
        reject(hierarchical().meta("moe.groups", "2").weight("groups.2.router.weight", 4, D),
                "tensor 'groups.2.router.weight' is not part of this layer", "group index 2 ≥ moe.groups = 2");
    }

    @Test
    void softHasNoRouterWeight() throws IOException {
        reject(layer("soft", 4).weight("soft.phi", 4, D), "tensor 'router.weight' is not part of this layer", "soft.phi");
    }

    @Test
    void routerBiasWithoutRouterWeight() throws IOException {
        LayerFileBuilder b = layer("hash", 4).remove("router.weight").weight("router.bias", 4).i32("hash.table", new long[] {1}, 0);
        reject(b, "tensor 'router.bias' is not part of this layer", "needs router.weight");
    }

    @Test
    void sharedGateWithoutSharedExperts() throws IOException {
        reject(mixtral().weight("shared_gate.weight", 1, D), "tensor 'shared_gate.weight' is not part of this layer", "shared.0");
    }
}
