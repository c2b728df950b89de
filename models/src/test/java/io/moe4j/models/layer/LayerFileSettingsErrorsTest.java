package io.moe4j.models.layer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static io.moe4j.models.layer.LayerFileBuilder.D;
import static io.moe4j.models.layer.LayerFileBuilder.layer;
import static io.moe4j.models.layer.LayerFileBuilder.mixtral;

/** Bad {@code moe.*} metadata: each error names the file and the key. */
class LayerFileSettingsErrorsTest extends LayerFileTesting {

    @Test
    void missingRouter() throws IOException {
        reject(mixtral().withoutMeta("moe.router"), "missing metadata key moe.router", "softmax_topk");
    }

    @ParameterizedTest
    @CsvSource({
            "moe.router, topk, unknown moe.router 'topk'",
            "moe.activation, gelu_tanh, unknown moe.activation 'gelu_tanh'",
            "moe.normalize, l3, unknown moe.normalize 'l3'",
            "moe.second_expert, sometimes, unknown moe.second_expert 'sometimes'",
            "moe.router, Softmax_TopK, unknown moe.router"})
    void unknownNames(String key, String value, String message) throws IOException {
        reject(mixtral().meta(key, value), message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"moe.topk", "moe.num_expert", "moe.capacity", "moe.jitter"})
    void unknownMoeKey(String key) throws IOException {
        reject(mixtral().meta(key, "1"), "unknown metadata key '" + key + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"softmax_topk", "noisy_topk", "expert_choice", "hierarchical"})
    void topKIsRequired(String router) throws IOException {
        LayerFileBuilder b = router.equals("hierarchical") ? LayerFileRoutersTest.hierarchical().withoutMeta("moe.top_k")
                : layer(router, 4).weight("router.noise.weight", 4, D);
        reject(b, "missing metadata key moe.top_k", router);
    }

    @ParameterizedTest
    @CsvSource({"moe.top_k, two", "moe.top_k, 2.0", "moe.top_k, -1", "moe.top_k, ''", "moe.top_k, ' 2'",
            "moe.num_experts, 4.0", "moe.num_experts, 0x4", "moe.groups, one", "moe.slots, -3",
            "moe.group_top_k, 1e0"})
    void notANonNegativeInteger(String key, String value) throws IOException {
        reject(mixtral().meta(key, value), key + " = '" + value + "' is not a non-negative integer");
    }

    @Test
    void integerTooLarge() throws IOException {
        reject(mixtral().meta("moe.top_k", "99999999999"), "moe.top_k = '99999999999' is too large");
    }

    @Test
    void zeroTopKFromMoeConfig() throws IOException {
        reject(mixtral().meta("moe.top_k", "0"), "moe.top_k must be at least 1");
    }

    @Test
    void topKAboveExpertCountFromMoeConfig() throws IOException {
        reject(mixtral().meta("moe.top_k", "5"), "moe.top_k = 5 exceeds the 4 experts");
    }

    @Test
    void numExpertsAboveTheTensors() throws IOException {
        reject(mixtral().meta("moe.num_experts", "8"), "moe.num_experts = 8", "experts.4.w1.weight");
    }

    @Test
    void tensorsBeyondNumExperts() throws IOException {
        LayerFileBuilder b = mixtral().meta("moe.num_experts", "4").ffn("experts.4", LayerFileBuilder.F, true, false);
        reject(b, "moe.num_experts = 4", "experts.4.");
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "1", "on", ""})
    void noiseNotABoolean(String value) throws IOException {
        reject(mixtral().meta("moe.noise", value), "moe.noise = '" + value + "' is not true or false");
    }

    @Test
    void noiseOnlyForNoisyTopk() throws IOException {
        reject(mixtral().meta("moe.noise", "true"), "moe.noise = true applies only to the noisy_topk router");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "abc", "inf", "Infinity", "NaN", "1.0f", "0x1p0", "", "1e999"})
    void capacityFactorNotAPositiveNumber(String value) throws IOException {
        reject(layer("switch", 4).meta("moe.capacity_factor", value), "moe.capacity_factor = '" + value + "' is not a positive number");
    }

    @Test
    void capacityFactorNotForSoft() throws IOException {
        LayerFileBuilder b = layer("soft", 4).remove("router.weight").weight("soft.phi", 4, D).meta("moe.capacity_factor", "1");
        reject(b, "moe.capacity_factor does not apply to the soft router");
    }

    @ParameterizedTest
    @CsvSource({"-5, is not a non-negative integer", "1.5, is not a non-negative integer",
            "18446744073709551616, does not fit in 64 bits"})
    void badSeed(String value, String message) throws IOException {
        reject(mixtral().meta("moe.seed", value), "moe.seed = '" + value + "' " + message);
    }

    @Test
    void denseTopKMustBeE() throws IOException {
        reject(layer("dense", 4).meta("moe.top_k", "2"), "moe.top_k = 2", "dense router uses all E experts (must be 4)");
    }

    @Test
    void hashTopKMustBeOne() throws IOException {
        LayerFileBuilder b = layer("hash", 4).i32("hash.table", new long[] {2}, 0, 1).meta("moe.top_k", "2");
        reject(b, "moe.top_k = 2", "one expert (must be 1)");
    }

    @Test
    void softTopKMustBeOne() throws IOException {
        LayerFileBuilder b = layer("soft", 4).remove("router.weight").weight("soft.phi", 4, D).meta("moe.top_k", "3");
        reject(b, "moe.top_k = 3", "must be 1");
    }

    @ParameterizedTest
    @CsvSource({"switch, l1", "dense, l2", "expert_choice, l1", "hash, l1"})
    void normalizeOnlyWhereWeightsAreNormalised(String router, String value) throws IOException {
        LayerFileBuilder b = layer(router, 4).meta("moe.top_k", router.equals("dense") ? "4" : "1")
                .i32("hash.table", new long[] {1}, 0).meta("moe.normalize", value);
        if (!router.equals("hash")) b.remove("hash.table");
        reject(b, "moe.normalize = " + value + " does not apply to the " + router + " router");
    }

    @ParameterizedTest
    @CsvSource({"moe.groups, 2", "moe.group_top_k, 2", "moe.slots, 4"})
    void routerSpecificKeysElsewhere(String key, String value) throws IOException {
        reject(mixtral().meta(key, value), key + " = " + value + " does not apply to the softmax_topk router");
    }

    @Test
    void neutralValuesOfRouterSpecificKeysAreAccepted() throws IOException {
        open(mixtral().meta("moe.groups", "1").meta("moe.group_top_k", "1").meta("moe.slots", "0")
                .meta("moe.noise", "FALSE").meta("moe.second_expert", "top")).close();
    }

    @Test
    void randomSecondExpertOnlyForSwitchWithTwoChoices() throws IOException {
        reject(layer("switch", 4).meta("moe.second_expert", "random"), "moe.second_expert = random", "k = 1");
        reject(mixtral().meta("moe.second_expert", "random"), "moe.second_expert = random", "softmax_topk");
    }

    @Test
    void groupsMustDivideExperts() throws IOException {
        LayerFileBuilder b = LayerFileRoutersTest.hierarchical().meta("moe.groups", "3").meta("moe.top_k", "1")
                .weight("router.weight", 3, D).weight("groups.2.router.weight", 4, D);
        reject(b, "moe.num_experts = 8 is not divisible by moe.groups = 3");
    }

    @Test
    void groupTopKAboveGroups() throws IOException {
        reject(LayerFileRoutersTest.hierarchical().meta("moe.group_top_k", "3"), "moe.group_top_k = 3 must be in [1, moe.groups = 2]");
    }

    @Test
    void hierarchicalTopKAboveGroupSize() throws IOException {
        reject(LayerFileRoutersTest.hierarchical().meta("moe.top_k", "5"), "moe.top_k = 5 exceeds the 4 experts");
    }

    @Test
    void softSlotsZero() throws IOException {
        LayerFileBuilder b = layer("soft", 4).remove("router.weight").weight("soft.phi", 4, D).meta("moe.slots", "0");
        reject(b, "moe.slots must be at least 1");
    }
}
