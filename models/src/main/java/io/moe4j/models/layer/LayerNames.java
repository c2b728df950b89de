package io.moe4j.models.layer;

import io.moe4j.models.format.FormatException;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensor names of a layer file checked against the contract's grammar, and the counts they imply.
 * A name outside the grammar (a typo, a tensor of some other format) is an error here; whether a well-formed
 * name belongs in this particular layer (expert index below E, w3 only for SwiGLU, ...) is
 * {@link LayerTensors}'s business.
 *
 * <p>Indices are canonical decimals ({@code experts.7}, not {@code experts.07}) below 10⁹.
 *
 * @param experts one past the largest {@code experts.{e}.} index, 0 when there is none
 * @param shared  one past the largest {@code shared.{s}.} index, 0 when there is none
 * @param groups  one past the largest {@code groups.{g}.} index, 0 when there is none
 */
record LayerNames(int experts, int shared, int groups) {
    private static final String INDEX = "(0|[1-9][0-9]{0,8})";
    private static final String FFN_PART = "(?:w[123]\\.weight|w[12]\\.bias)";
    private static final Pattern INDEXED_FFN = Pattern.compile("(experts|shared)\\." + INDEX + "\\." + FFN_PART);
    private static final Pattern GROUP_ROUTER = Pattern.compile("groups\\." + INDEX + "\\.router\\.weight");
    private static final Pattern DENSE_FFN = Pattern.compile("dense\\." + FFN_PART);
    private static final List<String> FIXED = List.of("router.weight", "router.bias", "router.noise.weight",
            "soft.phi", "hash.table", "shared_gate.weight", "cmr.weight", "cmr.bias");

    /** Checks every name and counts the indexed families. */
    static LayerNames scan(Path file, List<String> names) {
        int experts = 0;
        int shared = 0;
        int groups = 0;
        for (String name : names) {
            Matcher ffn = INDEXED_FFN.matcher(name);
            Matcher group = GROUP_ROUTER.matcher(name);
            if (ffn.matches()) {
                int next = Integer.parseInt(ffn.group(2)) + 1;
                if (ffn.group(1).equals("experts")) experts = Math.max(experts, next);
                else shared = Math.max(shared, next);
            } else if (group.matches()) {
                groups = Math.max(groups, Integer.parseInt(group.group(1)) + 1);
            } else if (!FIXED.contains(name) && !DENSE_FFN.matcher(name).matches()) {
                throw new FormatException(file, "tensor '" + name + "' is not a layer-file tensor name (expected "
                        + "router.weight, router.bias, router.noise.weight, groups.{g}.router.weight, soft.phi, "
                        + "hash.table, experts.{e}.*, shared.{s}.*, shared_gate.weight, cmr.weight, cmr.bias or "
                        + "dense.*, where an FFN has w1.weight, w2.weight, w3.weight, w1.bias, w2.bias)");
            }
        }
        return new LayerNames(experts, shared, groups);
    }
}
