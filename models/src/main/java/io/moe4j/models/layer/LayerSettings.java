package io.moe4j.models.layer;

import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.models.format.FormatException;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads a layer file's {@code moe.*} metadata strings into a {@link MoeConfig}. Every failure is a
 * {@link FormatException} naming the file and the key.
 *
 * <p>Values: integers are plain decimals ({@code 8}, not {@code 8.0} or {@code -1}); {@code moe.seed} is an
 * unsigned 64-bit decimal (kept as the same 64 bits in a {@code long}); {@code moe.capacity_factor} a positive
 * decimal number ({@code 1}, {@code 1.25}, {@code 2e0}); {@code moe.noise} {@code true} or {@code false} in any
 * case (Python writes {@code True}). Other {@code moe.} keys are errors; keys outside {@code moe.} are ignored.
 *
 * <p>Defaults and rules (a key that only matters to one router must keep its neutral value elsewhere, so a
 * setting is never silently ignored):
 * <ul>
 *   <li>{@code moe.router}: required (the contract names no default).
 *   <li>{@code moe.num_experts}: inferred from the {@code experts.{e}.*} tensors; when given it must match them.
 *   <li>{@code moe.top_k}: required for softmax_topk, noisy_topk, expert_choice and hierarchical (per group);
 *       switch 1 by default; dense E, hash 1 and soft 1 fixed (a given value must equal them).
 *   <li>{@code moe.activation}: swiglu.
 *   <li>{@code moe.normalize}: l1 for softmax_topk, noisy_topk and hierarchical; the other routers do not
 *       normalise their weights, so theirs is none (a given value must be none).
 *   <li>{@code moe.capacity_factor}: absent = NaN (dropless; expert_choice then uses k); not for soft.
 *   <li>{@code moe.groups}: hierarchical only: inferred from the {@code groups.{g}.router.weight} tensors
 *       (1 when there are none); other routers 1.
 *   <li>{@code moe.group_top_k}: hierarchical only: defaults to moe.groups (every group, the dense tree of
 *       Jordan &amp; Jacobs); other routers 1.
 *   <li>{@code moe.slots}: soft only: inferred from {@code soft.phi [E·S, D]}; other routers 0.
 *   <li>{@code moe.second_expert}: top; random only for switch with k = 2 (GShard).
 *   <li>{@code moe.noise}: false; true only for noisy_topk.
 *   <li>{@code moe.seed}: 0.
 * </ul>
 */
final class LayerSettings {
    static final String ROUTER = "moe.router";
    static final String NUM_EXPERTS = "moe.num_experts";
    static final String TOP_K = "moe.top_k";
    static final String ACTIVATION = "moe.activation";
    static final String NORMALIZE = "moe.normalize";
    static final String CAPACITY_FACTOR = "moe.capacity_factor";
    static final String GROUPS = "moe.groups";
    static final String GROUP_TOP_K = "moe.group_top_k";
    static final String SLOTS = "moe.slots";
    static final String SECOND_EXPERT = "moe.second_expert";
    static final String NOISE = "moe.noise";
    static final String SEED = "moe.seed";
    static final List<String> KEYS = List.of(ROUTER, NUM_EXPERTS, TOP_K, ACTIVATION, NORMALIZE, CAPACITY_FACTOR,
            GROUPS, GROUP_TOP_K, SLOTS, SECOND_EXPERT, NOISE, SEED);

    private static final Pattern INTEGER = Pattern.compile("[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");

    private final Path file;
    private final Map<String, String> metadata;
    private final LayerNames names;
    private final long phiRows;

    private LayerSettings(Path file, Map<String, String> metadata, LayerNames names, long phiRows) {
        this.file = file;
        this.metadata = metadata;
        this.names = names;
        this.phiRows = phiRows;
    }

    /**
     * @param phiRows rows of {@code soft.phi}, or -1 when the file has none (to infer {@code moe.slots})
     */
    static MoeConfig parse(Path file, Map<String, String> metadata, LayerNames names, long phiRows) {
        return new LayerSettings(file, metadata, names, phiRows).parse();
    }

    private MoeConfig parse() {
        for (String key : metadata.keySet()) {
            if (key.startsWith("moe.") && !KEYS.contains(key)) {
                throw fail("unknown metadata key '" + key + "' (known: " + String.join(", ", KEYS) + ")");
            }
        }
        String routerName = metadata.get(ROUTER);
        if (routerName == null) throw fail("missing metadata key " + ROUTER + " (one of " + names(RouterKind.values()) + ")");
        RouterKind router = parseEnum(RouterKind::parse, routerName);
        Activation activation = parseEnum(Activation::parse, metadata.getOrDefault(ACTIVATION, "swiglu"));
        int experts = numExperts();
        int topK = topK(router, experts);
        Normalize normalize = normalize(router);
        double capacity = capacityFactor(router);
        int groups = router == RouterKind.HIERARCHICAL
                ? orDefault(integer(GROUPS), names.groups() > 0 ? names.groups() : 1) : neutral(router, GROUPS, 1);
        int groupTopK = router == RouterKind.HIERARCHICAL
                ? orDefault(integer(GROUP_TOP_K), groups) : neutral(router, GROUP_TOP_K, 1);
        int slots = router == RouterKind.SOFT ? slots(experts) : neutral(router, SLOTS, 0);
        SecondExpert secondExpert = secondExpert(router, topK);
        boolean noise = noise(router);
        long seed = seed();
        try {
            return new MoeConfig(router, experts, topK, activation, normalize, capacity, groups, groupTopK, slots,
                    secondExpert, noise, seed);
        } catch (IllegalArgumentException e) {
            throw new FormatException(file, e.getMessage(), e);
        }
    }

    private int numExperts() {
        Integer given = integer(NUM_EXPERTS);
        int found = names.experts();
        if (given == null) {
            if (found == 0) throw fail("no experts: missing tensor 'experts.0.w1.weight' (and " + NUM_EXPERTS + " unset)");
            return found;
        }
        if (given < found) {
            throw fail(NUM_EXPERTS + " = " + given + ", but the file has tensors for expert " + (found - 1)
                    + " (experts." + (found - 1) + ".*)");
        }
        if (given > found) {
            throw fail(NUM_EXPERTS + " = " + given + ", but the file's experts.{e}.* tensors stop "
                    + (found == 0 ? "before e = 0" : "at e = " + (found - 1)) + " (missing tensor 'experts." + found + ".w1.weight')");
        }
        return given;
    }

    private int topK(RouterKind router, int experts) {
        Integer given = integer(TOP_K);
        return switch (router) {
            case DENSE -> fixed(TOP_K, given, experts, "the dense router uses all E experts");
            case HASH -> fixed(TOP_K, given, 1, "the hash router sends each token to one expert");
            case SOFT -> fixed(TOP_K, given, 1, "the soft router has no top-k (experts serve slots)");
            case SWITCH -> orDefault(given, 1);
            case SOFTMAX_TOPK, NOISY_TOPK, EXPERT_CHOICE, HIERARCHICAL -> {
                if (given == null) throw fail("missing metadata key " + TOP_K + " (required by the " + router.key() + " router)");
                yield given;
            }
        };
    }

    private Normalize normalize(RouterKind router) {
        String raw = metadata.get(NORMALIZE);
        Normalize given = raw == null ? null : parseEnum(Normalize::parse, raw);
        if (router == RouterKind.SOFTMAX_TOPK || router == RouterKind.NOISY_TOPK || router == RouterKind.HIERARCHICAL) {
            return given == null ? Normalize.L1 : given;
        }
        if (given != null && given != Normalize.NONE) {
            throw fail(NORMALIZE + " = " + raw + " does not apply to the " + router.key()
                    + " router, whose weights are not normalised (leave it out or set none)");
        }
        return Normalize.NONE;
    }

    private double capacityFactor(RouterKind router) {
        String raw = metadata.get(CAPACITY_FACTOR);
        if (raw == null) return Double.NaN;
        if (router == RouterKind.SOFT) throw fail(CAPACITY_FACTOR + " does not apply to the soft router (it has no capacity)");
        double value = DECIMAL.matcher(raw).matches() ? Double.parseDouble(raw) : Double.NaN;
        if (!(value > 0) || Double.isInfinite(value)) {
            throw fail(CAPACITY_FACTOR + " = '" + raw + "' is not a positive number");
        }
        return value;
    }

    private int slots(int experts) {
        Integer given = integer(SLOTS);
        if (given != null) return given;
        if (phiRows < 0) throw fail("missing tensor 'soft.phi' (the soft router's [E·S, D] slot parameters), so " + SLOTS + " cannot be inferred");
        if (phiRows == 0 || phiRows % experts != 0) {
            throw fail("tensor 'soft.phi' has " + phiRows + " rows, not a positive multiple of E = " + experts
                    + " (E·S rows; " + SLOTS + " unset)");
        }
        return Math.toIntExact(phiRows / experts);
    }

    private SecondExpert secondExpert(RouterKind router, int topK) {
        String raw = metadata.get(SECOND_EXPERT);
        SecondExpert value = raw == null ? SecondExpert.TOP : parseEnum(SecondExpert::parse, raw);
        if (value == SecondExpert.RANDOM && (router != RouterKind.SWITCH || topK != 2)) {
            throw fail(SECOND_EXPERT + " = random applies only to the switch router with " + TOP_K + " = 2 (GShard); got the "
                    + router.key() + " router with k = " + topK);
        }
        return value;
    }

    private boolean noise(RouterKind router) {
        String raw = metadata.get(NOISE);
        if (raw == null) return false;
        boolean value;
        if (raw.toLowerCase(Locale.ROOT).equals("true")) value = true;
        else if (raw.toLowerCase(Locale.ROOT).equals("false")) value = false;
        else throw fail(NOISE + " = '" + raw + "' is not true or false");
        if (value && router != RouterKind.NOISY_TOPK) {
            throw fail(NOISE + " = true applies only to the noisy_topk router, not " + router.key());
        }
        return value;
    }

    private long seed() {
        String raw = metadata.get(SEED);
        if (raw == null) return 0;
        try {
            if (INTEGER.matcher(raw).matches()) return Long.parseUnsignedLong(raw);
        } catch (NumberFormatException tooLarge) {
            throw fail(SEED + " = '" + raw + "' does not fit in 64 bits");
        }
        throw fail(SEED + " = '" + raw + "' is not a non-negative integer");
    }

    /** A given value that must equal the router's fixed one. */
    private int fixed(String key, Integer given, int value, String why) {
        if (given != null && given != value) throw fail(key + " = " + given + ", but " + why + " (must be " + value + ")");
        return value;
    }

    /** A key another router uses: absent or at its neutral value. */
    private int neutral(RouterKind router, String key, int neutral) {
        Integer given = integer(key);
        if (given != null && given != neutral) {
            throw fail(key + " = " + given + " does not apply to the " + router.key() + " router (leave it out or set " + neutral + ")");
        }
        return neutral;
    }

    /** The key's non-negative int value, or null when absent. */
    private Integer integer(String key) {
        String raw = metadata.get(key);
        if (raw == null) return null;
        if (!INTEGER.matcher(raw).matches()) throw fail(key + " = '" + raw + "' is not a non-negative integer");
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException tooLarge) {
            throw fail(key + " = '" + raw + "' is too large");
        }
    }

    private static int orDefault(Integer given, int value) {
        return given == null ? value : given;
    }

    private <T> T parseEnum(Function<String, T> parser, String value) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw fail(e.getMessage());
        }
    }

    private static String names(Enum<?>[] values) {
        StringBuilder b = new StringBuilder();
        for (Enum<?> v : values) b.append(b.isEmpty() ? "" : ", ").append(v.name().toLowerCase(Locale.ROOT));
        return b.toString();
    }

    private FormatException fail(String detail) {
        return new FormatException(file, detail);
    }
}
