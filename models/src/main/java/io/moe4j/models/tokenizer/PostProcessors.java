package io.moe4j.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The post-processors moe4j reads from a tokenizer.json (single sequences only: no pairs). */
final class PostProcessors {
    static final String SUPPORTED = "TemplateProcessing, ByteLevel, BertProcessing, RobertaProcessing, Sequence";

    /** Adds nothing. */
    static final PostProcessor NONE = (ids, addSpecialTokens) -> ids;

    private PostProcessors() {}

    static PostProcessor parse(JsonConfig config) {
        String type = config.type();
        return switch (type) {
            case "TemplateProcessing" -> template(config);
            case "ByteLevel" -> NONE; // only trims offsets, which moe4j does not report
            case "BertProcessing", "RobertaProcessing" -> around(tokenId(config, "cls"), tokenId(config, "sep"));
            case "Sequence" -> sequence(config.objects("processors").stream().map(PostProcessors::parse).toList());
            default -> throw config.unsupportedType(type, SUPPORTED);
        };
    }

    static PostProcessor sequence(List<PostProcessor> steps) {
        return (ids, addSpecialTokens) -> {
            for (PostProcessor step : steps) ids = step.process(ids, addSpecialTokens);
            return ids;
        };
    }

    /** {@code [cls] ids [sep]}, BERT's and RoBERTa's single-sequence layout. */
    static PostProcessor around(int first, int last) {
        return (ids, addSpecialTokens) -> {
            if (!addSpecialTokens) return ids;
            IntList out = new IntList(ids.length + 2);
            out.add(first);
            out.addAll(ids);
            out.add(last);
            return out.toArray();
        };
    }

    /** A {@code ["[CLS]", 101]} pair. */
    private static int tokenId(JsonConfig config, String field) {
        JsonNode pair = config.required(field);
        if (!pair.isArray() || pair.size() != 2 || !pair.get(1).canConvertToInt()) {
            throw config.error("\"" + field + "\" must be [token, id], got " + JsonConfig.describe(pair));
        }
        return pair.get(1).intValue();
    }

    /**
     * TemplateProcessing's {@code single} template: the sequence ({@code $A}) with special tokens around it,
     * e.g. Llama's {@code "<s> $A"}. Each special token may stand for several ids.
     */
    static PostProcessor template(JsonConfig config) {
        Map<String, int[]> specials = new HashMap<>();
        if (config.has("special_tokens")) {
            JsonConfig tokens = config.object("special_tokens");
            for (var entry : config.required("special_tokens").properties()) {
                JsonConfig token = new JsonConfig(config.file(), tokens.path(entry.getKey()), entry.getValue());
                JsonNode ids = token.required("ids");
                if (!ids.isArray()) throw token.error("\"ids\" must be an array of ids");
                int[] values = new int[ids.size()];
                for (int i = 0; i < values.length; i++) {
                    if (!ids.get(i).canConvertToInt() || ids.get(i).intValue() < 0) {
                        throw token.error("\"ids\" must hold non-negative integers, got " + JsonConfig.describe(ids.get(i)));
                    }
                    values[i] = ids.get(i).intValue();
                }
                specials.put(token.string("id"), values);
            }
        }
        // pieces: null stands for the sequence itself, an array for a special token's ids.
        List<int[]> pieces = config.objects("single").stream().map(piece -> templatePiece(piece, specials)).toList();
        return (ids, addSpecialTokens) -> {
            if (!addSpecialTokens) return ids;
            IntList out = new IntList(ids.length + 4);
            for (int[] piece : pieces) out.addAll(piece == null ? ids : piece);
            return out.toArray();
        };
    }

    private static int[] templatePiece(JsonConfig piece, Map<String, int[]> specials) {
        if (piece.has("Sequence")) return null;
        if (piece.has("SpecialToken")) {
            String id = piece.object("SpecialToken").string("id");
            int[] ids = specials.get(id);
            if (ids == null) throw piece.error("special token \"" + id + "\" is not in special_tokens");
            return ids;
        }
        throw piece.error("a template piece must be {\"Sequence\": …} or {\"SpecialToken\": …}");
    }
}
