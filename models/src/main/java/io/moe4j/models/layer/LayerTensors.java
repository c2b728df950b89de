package io.moe4j.models.layer;

import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.SafeTensorInfo;
import io.moe4j.models.format.SafeTensors;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Looks up the tensors a layer's settings call for (contract: "The layer file") and builds its
 * {@link MoeWeights} from zero-copy views. Checks presence, dtype (F32, F16 or BF16 for weights, I32 for
 * {@code hash.table}) and shape of each, and that the file holds nothing else. Every failure is a
 * {@link FormatException} naming the file and the tensor.
 *
 * <p>D is the width of {@code experts.0.w1.weight [F, D]}; all routed experts share its F, while each shared
 * expert and the dense FFN take F from their own {@code w1.weight}.
 */
final class LayerTensors {
    private static final long ANY = -1;
    private static final String CMR_WEIGHT = "cmr.weight";
    private static final String CMR_BIAS = "cmr.bias";

    private final Path file;
    private final SafeTensors st;
    private final MoeConfig config;
    private final LayerNames names;
    private final Set<String> used = new HashSet<>();
    private long d;

    private LayerTensors(SafeTensors st, MoeConfig config, LayerNames names) {
        this.file = st.path();
        this.st = st;
        this.config = config;
        this.names = names;
    }

    static MoeWeights load(SafeTensors st, MoeConfig config, LayerNames names) {
        return new LayerTensors(st, config, names).load();
    }

    private MoeWeights load() {
        SafeTensorInfo first = weightInfo("experts.0.w1.weight");
        long[] shape = first.shape();
        if (shape.length != 2 || shape[0] < 1 || shape[1] < 1) {
            throw fail("experts.0.w1.weight", "has shape " + show(shape) + ", expected [F, D] with F, D ≥ 1");
        }
        d = shape[1];
        List<Expert> experts = new ArrayList<>(config.numExperts());
        for (int e = 0; e < config.numExperts(); e++) experts.add(ffn("experts." + e, shape[0]));

        RouterKind router = config.router();
        long e = config.numExperts();
        long gates = router == RouterKind.HIERARCHICAL ? config.groups() : e;
        boolean hasRouter = router != RouterKind.SOFT && (router != RouterKind.HASH || st.contains("router.weight"));
        Tensor routerWeight = hasRouter ? weight("router.weight", gates, d) : null;
        Tensor routerBias = hasRouter ? optional("router.bias", gates) : null;
        Tensor noise = router == RouterKind.NOISY_TOPK ? weight("router.noise.weight", e, d) : null;
        List<Tensor> groupRouters = new ArrayList<>();
        if (router == RouterKind.HIERARCHICAL) {
            for (int g = 0; g < config.groups(); g++) {
                groupRouters.add(weight("groups." + g + ".router.weight", config.expertsPerGroup(), d));
            }
        }
        Tensor phi = router == RouterKind.SOFT ? weight("soft.phi", e * config.slots(), d) : null;
        Tensor hashTable = router == RouterKind.HASH ? hashTable() : null;

        List<Expert> shared = new ArrayList<>(names.shared());
        for (int s = 0; s < names.shared(); s++) shared.add(ffn("shared." + s, ANY));
        Tensor sharedGate = !shared.isEmpty() ? optional("shared_gate.weight", 1, d) : null;

        Tensor cmrWeight = null;
        Tensor cmrBias = null;
        Expert dense = null;
        if (st.contains(CMR_WEIGHT) || st.contains(CMR_BIAS) || st.names().stream().anyMatch(n -> n.startsWith("dense."))) {
            cmrWeight = conditional(CMR_WEIGHT, 1, d);
            cmrBias = conditional(CMR_BIAS, 1);
            if (!st.contains("dense.w1.weight")) throw missing("dense.w1.weight", conditionalNote());
            dense = ffn("dense", ANY);
        }
        rejectUnused();
        return new MoeWeights(routerWeight, routerBias, noise, groupRouters, phi, hashTable, experts, shared,
                sharedGate, cmrWeight, cmrBias, dense);
    }

    /** An FFN under {@code prefix}: F fixed, or {@link #ANY} to take it from its own w1. */
    private Expert ffn(String prefix, long f) {
        Tensor w1 = weight(prefix + ".w1.weight", f, d);
        f = w1.dim(0);
        if (f < 1) throw fail(prefix + ".w1.weight", "has F = 0 (expected [F, D] with F ≥ 1)");
        Tensor w2 = weight(prefix + ".w2.weight", d, f);
        if (config.activation().isGated()) return Expert.swiglu(w1, weight(prefix + ".w3.weight", f, d), w2);
        return new Expert(w1, null, w2, optional(prefix + ".w1.bias", f), optional(prefix + ".w2.bias", d));
    }

    private Tensor hashTable() {
        SafeTensorInfo info = info("hash.table");
        if (info.dtype() != DType.I32) throw fail("hash.table", "has dtype " + info.dtype() + ", expected I32");
        checkShape(info, ANY);
        if (info.shape()[0] < 1) throw fail("hash.table", "is empty (expected [V] with V ≥ 1 token ids)");
        Tensor table = view(info);
        MemorySegment seg = table.segment();
        for (long i = 0; i < table.size(); i++) {
            int expert = seg.get(ValueLayout.JAVA_INT_UNALIGNED, i * 4);
            if (expert < 0 || expert >= config.numExperts()) {
                throw fail("hash.table", "entry " + i + " is " + expert + ", not an expert index in [0, "
                        + config.numExperts() + ")");
            }
        }
        return table;
    }

    /** cmr.weight, cmr.bias and dense.* come together. */
    private Tensor conditional(String name, long... shape) {
        if (!st.contains(name)) throw missing(name, conditionalNote());
        return weight(name, shape);
    }

    private static String conditionalNote() {
        return "conditional routing needs cmr.weight, cmr.bias and dense.* together";
    }

    private Tensor optional(String name, long... shape) {
        return st.contains(name) ? weight(name, shape) : null;
    }

    private Tensor weight(String name, long... shape) {
        SafeTensorInfo info = weightInfo(name);
        checkShape(info, shape);
        return view(info);
    }

    private SafeTensorInfo weightInfo(String name) {
        SafeTensorInfo info = info(name);
        DType t = info.dtype();
        if (t != DType.F32 && t != DType.F16 && t != DType.BF16) {
            throw fail(name, "has dtype " + t + ", expected F32, F16 or BF16");
        }
        return info;
    }

    private SafeTensorInfo info(String name) {
        if (!st.contains(name)) throw missing(name, null);
        return st.info(name);
    }

    private void checkShape(SafeTensorInfo info, long... expected) {
        long[] actual = info.shape();
        boolean ok = actual.length == expected.length;
        for (int i = 0; ok && i < actual.length; i++) ok = expected[i] == ANY || expected[i] == actual[i];
        if (!ok) throw fail(info.name(), "has shape " + show(actual) + ", expected " + show(expected));
    }

    private Tensor view(SafeTensorInfo info) {
        used.add(info.name());
        return st.tensor(info.name());
    }

    /** Every tensor the settings did not call for is an error: it would otherwise be silently ignored. */
    private void rejectUnused() {
        for (String name : st.names()) {
            if (!used.contains(name)) throw fail(name, "is not part of this layer: " + whyUnused(name));
        }
    }

    private String whyUnused(String name) {
        String router = config.router().key();
        String[] parts = name.split("\\.");
        if (name.endsWith(".w3.weight")) return "w3 is only for swiglu FFNs (moe.activation = " + config.activation().key() + ")";
        if (name.matches(".*\\.w[12]\\.bias") && config.activation().isGated()) {
            return "FFN biases are only for relu, gelu and silu (moe.activation = swiglu)";
        }
        if (name.startsWith("experts.")) return "expert index " + parts[1] + " ≥ moe.num_experts = " + config.numExperts();
        if (name.startsWith("groups.")) {
            return config.router() == RouterKind.HIERARCHICAL
                    ? "group index " + parts[1] + " ≥ moe.groups = " + config.groups()
                    : "only the hierarchical router has group routers (moe.router = " + router + ")";
        }
        return switch (name) {
            case "router.weight", "router.bias" -> config.router() == RouterKind.SOFT
                    ? "the soft router has no router.weight or router.bias (it uses soft.phi)"
                    : "router.bias needs router.weight";
            case "router.noise.weight" -> "only the noisy_topk router uses it (moe.router = " + router + ")";
            case "soft.phi" -> "only the soft router uses it (moe.router = " + router + ")";
            case "hash.table" -> "only the hash router uses it (moe.router = " + router + ")";
            case "shared_gate.weight" -> "it gates shared experts, and the file has none (shared.0.*)";
            default -> "not called for by the settings";
        };
    }

    private FormatException missing(String name, String note) {
        return fail(name, "missing (required by moe.router = " + config.router().key() + ", moe.activation = "
                + config.activation().key() + (note == null ? "" : "; " + note) + ")");
    }

    private FormatException fail(String name, String detail) {
        return new FormatException(file, "tensor '" + name + "' " + detail);
    }

    private static String show(long[] shape) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : ", ").append(shape[i] == ANY ? "any" : shape[i]);
        return b.append(']').toString();
    }
}
