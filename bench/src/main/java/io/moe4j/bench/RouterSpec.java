package io.moe4j.bench;

import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A router of the contract with its settings, as {@code --router} takes it: {@code NAME[,key=value…]} where the
 * keys are the layer file's {@code moe.*} settings without the prefix, e.g. {@code softmax_topk,normalize=l2},
 * {@code switch,capacity_factor=1.25,second_expert=random}, {@code hierarchical,groups=4,group_top_k=2},
 * {@code soft,slots=2}. {@code num_experts} and {@code top_k} come from the shape unless the router fixes them
 * (dense: k = E; hash and soft: k = 1) or {@code top_k} is given.
 */
public record RouterSpec(String text, RouterKind kind, Map<String, String> settings) {
    private static final java.util.List<String> KEYS = java.util.List.of(
            "top_k", "normalize", "capacity_factor", "groups", "group_top_k", "slots", "second_expert", "noise", "seed");

    public static final RouterSpec DEFAULT = parse("softmax_topk");

    public static RouterSpec parse(String text) {
        String[] parts = text.strip().split(",");
        RouterKind kind;
        try {
            kind = RouterKind.parse(parts[0].strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--router: " + e.getMessage());
        }
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            String key = kv[0].strip().toLowerCase(Locale.ROOT);
            if (key.startsWith("moe.")) key = key.substring(4);
            if (kv.length != 2 || kv[1].isBlank()) throw new IllegalArgumentException("--router: setting '" + parts[i] + "' is not key=value");
            if (!KEYS.contains(key)) throw new IllegalArgumentException("--router: unknown setting '" + key + "' (known: " + String.join(", ", KEYS) + ")");
            if (settings.put(key, kv[1].strip()) != null) throw new IllegalArgumentException("--router: setting '" + key + "' given twice");
        }
        return new RouterSpec(text.strip(), kind, Map.copyOf(settings));
    }

    /** The router's name as the contract spells it. */
    public String name() { return kind.key(); }

    /** The layer settings for {@code shape}; errors name the setting. */
    public MoeConfig config(LayerShape shape) {
        int e = shape.experts();
        int topK = switch (kind) {
            case DENSE -> e;
            case HASH, SOFT -> 1;
            default -> integer("top_k", shape.topK());
        };
        if (settings.containsKey("top_k") && topK != integer("top_k", topK)) {
            throw new IllegalArgumentException("--router: the " + name() + " router has top_k = " + topK);
        }
        Normalize normalize = switch (kind) {
            case SOFTMAX_TOPK, NOISY_TOPK, HIERARCHICAL -> settings.containsKey("normalize") ? parse("normalize", Normalize::parse) : Normalize.L1;
            default -> {
                if (settings.containsKey("normalize") && parse("normalize", Normalize::parse) != Normalize.NONE) {
                    throw new IllegalArgumentException("--router: normalize does not apply to the " + name() + " router");
                }
                yield Normalize.NONE;
            }
        };
        double capacity = settings.containsKey("capacity_factor") ? decimal("capacity_factor") : Double.NaN;
        int groups = kind == RouterKind.HIERARCHICAL ? integer("groups", 2) : integer("groups", 1);
        int groupTopK = kind == RouterKind.HIERARCHICAL ? integer("group_top_k", 1) : integer("group_top_k", 1);
        int slots = kind == RouterKind.SOFT ? integer("slots", 1) : integer("slots", 0);
        SecondExpert second = settings.containsKey("second_expert") ? parse("second_expert", SecondExpert::parse) : SecondExpert.TOP;
        String noiseText = settings.getOrDefault("noise", "false").toLowerCase(Locale.ROOT);
        if (!noiseText.equals("true") && !noiseText.equals("false")) {
            throw new IllegalArgumentException("--router: noise = '" + settings.get("noise") + "' is not true or false");
        }
        boolean noise = noiseText.equals("true");
        long seed = integer("seed", 0);
        try {
            return new MoeConfig(kind, e, topK, Activation.SWIGLU, normalize, capacity, groups, groupTopK, slots, second, noise, seed);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("--router " + text + " with shape " + shape.name() + ": " + ex.getMessage());
        }
    }

    private int integer(String key, int fallback) {
        String raw = settings.get(key);
        if (raw == null) return fallback;
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--router: " + key + " = '" + raw + "' is not an integer");
        }
    }

    private double decimal(String key) {
        String raw = settings.get(key);
        try {
            return Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--router: " + key + " = '" + raw + "' is not a number");
        }
    }

    private <T> T parse(String key, java.util.function.Function<String, T> parser) {
        try {
            return parser.apply(settings.get(key));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--router: " + key + ": " + e.getMessage());
        }
    }
}
