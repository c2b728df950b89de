package io.moe4j.models.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Shape;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and validated JSON header of a safetensors file: tensor entries in file order and the
 * {@code __metadata__} strings. Validation is complete here, so a {@link SafeTensors} never hands out a view
 * that reaches outside its file or overlaps another tensor.
 */
final class SafeTensorsHeader {
    /** The reference implementation's limit; anything larger is a corrupt length, not a real header. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    /** safetensors dtype names we can view; others (F8_E4M3, U16, …) are rejected by name. */
    private static final Map<String, DType> DTYPES = orderedDTypes();

    private final Map<String, SafeTensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensorsHeader(Map<String, SafeTensorInfo> tensors, Map<String, String> metadata) {
        this.tensors = Collections.unmodifiableMap(tensors);
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /** Entries in the order the file lists them. */
    Map<String, SafeTensorInfo> tensors() { return tensors; }

    Map<String, String> metadata() { return metadata; }

    /** Parses {@code json} from {@code file}, whose data area is {@code dataSize} bytes long. */
    static SafeTensorsHeader parse(Path file, byte[] json, long dataSize) {
        JsonNode root = Json.readObject(file, "header", json);
        Map<String, SafeTensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(file, field.getValue());
            } else {
                tensors.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), dataSize));
            }
        }
        checkNoOverlap(file, tensors.values());
        return new SafeTensorsHeader(tensors, metadata);
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw new FormatException(file, METADATA_KEY + " must be a JSON object, got " + Json.describe(node));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new FormatException(file, METADATA_KEY + " value for key '" + e.getKey()
                        + "' must be a string, got " + Json.describe(e.getValue()));
            }
            metadata.put(e.getKey(), e.getValue().textValue());
        }
        return metadata;
    }

    private static SafeTensorInfo parseEntry(Path file, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new FormatException(file, where + ": entry must be a JSON object, got " + Json.describe(node));
        }
        DType dtype = parseDType(file, where, required(file, where, node, "dtype"));
        long[] shape = longs(file, where, "shape", required(file, where, node, "shape"));
        long[] offsets = longs(file, where, "data_offsets", required(file, where, node, "data_offsets"));

        for (long d : shape) {
            if (d < 0) throw new FormatException(file, where + ": negative dimension in shape " + Shape.toString(shape));
        }
        long bytes;
        try {
            bytes = dtype.bytesFor(Shape.elements(shape));
        } catch (ArithmeticException e) {
            throw new FormatException(file, where + ": element count of shape " + Shape.toString(shape) + " overflows", e);
        }
        if (offsets.length != 2) {
            throw new FormatException(file, where + ": data_offsets must be [begin, end], got " + Shape.toString(offsets));
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin < 0 || begin > end || end > dataSize) {
            throw new FormatException(file, where + ": data_offsets [" + begin + ", " + end
                    + "] must satisfy 0 <= begin <= end <= " + dataSize + " (the data area's size)");
        }
        if (end - begin != bytes) {
            throw new FormatException(file, where + ": data_offsets [" + begin + ", " + end + "] span "
                    + (end - begin) + " bytes but " + dtype + " " + Shape.toString(shape) + " needs " + bytes);
        }
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    private static JsonNode required(Path file, String where, JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        if (value == null) throw new FormatException(file, where + ": missing field '" + field + "'");
        return value;
    }

    private static DType parseDType(Path file, String where, JsonNode node) {
        if (!node.isTextual()) {
            throw new FormatException(file, where + ": field 'dtype' must be a string, got " + Json.describe(node));
        }
        DType dtype = DTYPES.get(node.textValue());
        if (dtype == null) {
            throw new FormatException(file, where + ": unsupported dtype '" + node.textValue()
                    + "' (supported: " + String.join(", ", DTYPES.keySet()) + ")");
        }
        return dtype;
    }

    /** A JSON array of integers that fit a long; floats such as 2.0 are rejected as the format has none. */
    private static long[] longs(Path file, String where, String field, JsonNode node) {
        if (!node.isArray()) {
            throw new FormatException(file, where + ": field '" + field + "' must be an array of integers, got "
                    + Json.describe(node));
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new FormatException(file, where + ": field '" + field + "' element " + i
                        + " must be an integer, got " + Json.describe(v));
            }
            values[i] = v.longValue();
        }
        return values;
    }

    /** Tensors may leave gaps (we do not require the reference's packed layout) but must not share bytes. */
    private static void checkNoOverlap(Path file, Iterable<SafeTensorInfo> infos) {
        List<SafeTensorInfo> sorted = new ArrayList<>();
        for (SafeTensorInfo info : infos) {
            if (info.byteSize() > 0) sorted.add(info); // an empty range shares no byte with anything
        }
        sorted.sort(Comparator.comparingLong(SafeTensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            SafeTensorInfo prev = sorted.get(i - 1);
            SafeTensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new FormatException(file, "tensors '" + prev.name() + "' [" + prev.begin() + ", " + prev.end()
                        + "] and '" + cur.name() + "' [" + cur.begin() + ", " + cur.end() + "] overlap");
            }
        }
    }

    private static Map<String, DType> orderedDTypes() {
        Map<String, DType> m = new LinkedHashMap<>();
        for (DType d : new DType[] {DType.F64, DType.F32, DType.F16, DType.BF16, DType.I64, DType.I32, DType.I16,
                DType.I8, DType.U8, DType.BOOL}) {
            m.put(d.name(), d); // safetensors spells these exactly as our enum does
        }
        return Collections.unmodifiableMap(m);
    }
}
