package io.moe4j.engine.moe.reference;

import io.moe4j.engine.moe.Activation;
import io.moe4j.engine.moe.Expert;
import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Tiny, self-contained readers for the golden layer fixtures (the real readers live in the models module, which
 * engine tests cannot see): {@code .npy} float arrays, safetensors files, JSON, and the contract's layer-file
 * settings turned into {@link MoeConfig} and {@link MoeWeights}.
 */
public final class LayerFiles {
    private LayerFiles() { }

    /** The shared golden folder: {@code ../shared/golden/layers} relative to the project root, else /work/shared. */
    public static Path goldenLayers() {
        for (Path p : List.of(Path.of("../shared/golden/layers"), Path.of("../../shared/golden/layers"),
                Path.of("/work/shared/golden/layers"))) {
            if (Files.isDirectory(p)) return p;
        }
        return Path.of("/work/shared/golden/layers");
    }

    // ---------------------------------------------------------------- .npy

    /** A float array with its shape. */
    public record Array(long[] shape, double[] values) {
        public float[][] rows() {
            int r = (int) shape[0], c = (int) (values.length / Math.max(1, shape[0]));
            float[][] out = new float[r][c];
            for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) out[i][j] = (float) values[i * c + j];
            return out;
        }
    }

    private static final Pattern NPY_DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|]?[a-z]\\d+)'");
    private static final Pattern NPY_ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern NPY_SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** Reads a little-endian float32 or float64 C-order {@code .npy} file. */
    public static Array readNpy(Path path) {
        byte[] b = readAll(path);
        if (b.length < 10 || b[0] != (byte) 0x93 || b[1] != 'N') throw new IllegalArgumentException(path + ": not an .npy file");
        int major = b[6];
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int headerLen, start;
        if (major == 1) {
            headerLen = Short.toUnsignedInt(buf.getShort(8));
            start = 10;
        } else {
            headerLen = buf.getInt(8);
            start = 12;
        }
        String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher m = NPY_DESCR.matcher(header);
        Matcher o = NPY_ORDER.matcher(header);
        Matcher s = NPY_SHAPE.matcher(header);
        if (!m.find() || !o.find() || !s.find()) throw new IllegalArgumentException(path + ": bad header " + header);
        if (o.group(1).equals("True")) throw new IllegalArgumentException(path + ": fortran order");
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) if (!part.isBlank()) dims.add(Long.parseLong(part.trim()));
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        long n = 1;
        for (long dim : shape) n *= dim;
        int data = start + headerLen;
        double[] v = new double[(int) n];
        switch (m.group(1)) {
            case "<f4" -> { for (int i = 0; i < n; i++) v[i] = buf.getFloat(data + 4 * i); }
            case "<f8" -> { for (int i = 0; i < n; i++) v[i] = buf.getDouble(data + 8 * i); }
            default -> throw new IllegalArgumentException(path + ": dtype " + m.group(1));
        }
        return new Array(shape, v);
    }

    // ---------------------------------------------------------------- safetensors

    /** The tensors of a safetensors file (copied into {@code arena}) and its {@code __metadata__}. */
    public record SafeTensors(Map<String, Tensor> tensors, Map<String, String> metadata) { }

    @SuppressWarnings("unchecked")
    public static SafeTensors readSafetensors(Path path, Arena arena) {
        byte[] b = readAll(path);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        String json = new String(b, 8, (int) n, StandardCharsets.UTF_8);
        Map<String, Object> header = (Map<String, Object>) parseJson(json);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        int base = 8 + (int) n;
        for (var e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                ((Map<String, Object>) e.getValue()).forEach((k, v) -> meta.put(k, String.valueOf(v)));
                continue;
            }
            Map<String, Object> info = (Map<String, Object>) e.getValue();
            DType dtype = switch ((String) info.get("dtype")) {
                case "F32" -> DType.F32;
                case "F16" -> DType.F16;
                case "BF16" -> DType.BF16;
                case "I32" -> DType.I32;
                default -> throw new IllegalArgumentException(e.getKey() + ": dtype " + info.get("dtype"));
            };
            List<Object> shapeList = (List<Object>) info.get("shape");
            long[] shape = shapeList.stream().mapToLong(o -> ((Number) o).longValue()).toArray();
            List<Object> offsets = (List<Object>) info.get("data_offsets");
            long from = ((Number) offsets.get(0)).longValue(), to = ((Number) offsets.get(1)).longValue();
            Tensor t = Tensor.allocate(arena, dtype, shape);
            if (t.byteSize() != to - from) throw new IllegalArgumentException(e.getKey() + ": size mismatch");
            MemorySegment.copy(MemorySegment.ofArray(b), base + from, t.segment(), 0, to - from);
            tensors.put(e.getKey(), t);
        }
        return new SafeTensors(tensors, meta);
    }

    // ---------------------------------------------------------------- the layer file's settings

    /** MoeConfig from a layer file's metadata, with the contract's defaults for absent keys. */
    public static MoeConfig config(Map<String, String> meta) {
        RouterKind router = RouterKind.parse(meta.getOrDefault("moe.router", "softmax_topk"));
        int e = Integer.parseInt(meta.get("moe.num_experts"));
        String k = meta.get("moe.top_k");
        int topK = k != null ? Integer.parseInt(k) : router == RouterKind.DENSE ? e : router == RouterKind.HASH ? 1 : 2;
        String cf = meta.get("moe.capacity_factor");
        return new MoeConfig(router, e, topK,
                Activation.parse(meta.getOrDefault("moe.activation", "swiglu")),
                Normalize.parse(meta.getOrDefault("moe.normalize", "l1")),
                cf == null ? Double.NaN : Double.parseDouble(cf),
                Integer.parseInt(meta.getOrDefault("moe.groups", "1")),
                Integer.parseInt(meta.getOrDefault("moe.group_top_k", "1")),
                Integer.parseInt(meta.getOrDefault("moe.slots", "0")),
                SecondExpert.parse(meta.getOrDefault("moe.second_expert", "top")),
                Boolean.parseBoolean(meta.getOrDefault("moe.noise", "false")),
                Long.parseLong(meta.getOrDefault("moe.seed", "0")));
    }

    /** MoeWeights from a layer file's tensors, by the contract's names. */
    public static MoeWeights weights(Map<String, Tensor> t, MoeConfig cfg) {
        List<Expert> experts = new ArrayList<>();
        for (int e = 0; e < cfg.numExperts(); e++) experts.add(expert(t, "experts." + e + "."));
        List<Expert> shared = new ArrayList<>();
        for (int s = 0; t.containsKey("shared." + s + ".w1.weight"); s++) shared.add(expert(t, "shared." + s + "."));
        List<Tensor> groups = new ArrayList<>();
        for (int g = 0; t.containsKey("groups." + g + ".router.weight"); g++) groups.add(t.get("groups." + g + ".router.weight"));
        return new MoeWeights(t.get("router.weight"), t.get("router.bias"), t.get("router.noise.weight"), groups,
                t.get("soft.phi"), t.get("hash.table"), experts, shared, t.get("shared_gate.weight"),
                t.get("cmr.weight"), t.get("cmr.bias"), t.containsKey("dense.w1.weight") ? expert(t, "dense.") : null);
    }

    private static Expert expert(Map<String, Tensor> t, String prefix) {
        Tensor w1 = t.get(prefix + "w1.weight");
        if (w1 == null) throw new IllegalArgumentException("missing " + prefix + "w1.weight");
        return new Expert(w1, t.get(prefix + "w3.weight"), t.get(prefix + "w2.weight"), t.get(prefix + "w1.bias"),
                t.get(prefix + "w2.bias"));
    }

    // ---------------------------------------------------------------- JSON

    /** Parses JSON into Map (insertion order), List, String, Double/Long, Boolean or null. */
    public static Object parseJson(String s) {
        int[] pos = {0};
        Object v = value(s, pos);
        skip(s, pos);
        if (pos[0] != s.length()) throw new IllegalArgumentException("trailing JSON at " + pos[0]);
        return v;
    }

    public static Object readJson(Path path) {
        return parseJson(new String(readAll(path), StandardCharsets.UTF_8));
    }

    private static Object value(String s, int[] p) {
        skip(s, p);
        char c = s.charAt(p[0]);
        switch (c) {
            case '{' -> {
                p[0]++;
                Map<String, Object> m = new LinkedHashMap<>();
                skip(s, p);
                if (s.charAt(p[0]) == '}') { p[0]++; return m; }
                while (true) {
                    skip(s, p);
                    String key = string(s, p);
                    skip(s, p);
                    expect(s, p, ':');
                    m.put(key, value(s, p));
                    skip(s, p);
                    if (s.charAt(p[0]) == ',') { p[0]++; continue; }
                    expect(s, p, '}');
                    return m;
                }
            }
            case '[' -> {
                p[0]++;
                List<Object> l = new ArrayList<>();
                skip(s, p);
                if (s.charAt(p[0]) == ']') { p[0]++; return l; }
                while (true) {
                    l.add(value(s, p));
                    skip(s, p);
                    if (s.charAt(p[0]) == ',') { p[0]++; continue; }
                    expect(s, p, ']');
                    return l;
                }
            }
            case '"' -> { return string(s, p); }
            default -> {
                if (s.startsWith("true", p[0])) { p[0] += 4; return Boolean.TRUE; }
                if (s.startsWith("false", p[0])) { p[0] += 5; return Boolean.FALSE; }
                if (s.startsWith("null", p[0])) { p[0] += 4; return null; }
                if (s.startsWith("NaN", p[0])) { p[0] += 3; return Double.NaN; }
                int start = p[0];
                while (p[0] < s.length() && "+-0123456789.eE".indexOf(s.charAt(p[0])) >= 0) p[0]++;
                String num = s.substring(start, p[0]);
                if (num.isEmpty()) throw new IllegalArgumentException("bad JSON at " + start);
                if (num.matches("-?\\d+")) return Long.parseLong(num);
                return Double.parseDouble(num);
            }
        }
    }

    private static String string(String s, int[] p) {
        expect(s, p, '"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = s.charAt(p[0]++);
            if (c == '"') return b.toString();
            if (c == '\\') {
                char esc = s.charAt(p[0]++);
                switch (esc) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(p[0], p[0] + 4), 16)); p[0] += 4; }
                    default -> b.append(esc);
                }
            } else {
                b.append(c);
            }
        }
    }

    private static void expect(String s, int[] p, char c) {
        if (s.charAt(p[0]) != c) throw new IllegalArgumentException("expected '" + c + "' at " + p[0] + " in JSON");
        p[0]++;
    }

    private static void skip(String s, int[] p) {
        while (p[0] < s.length() && Character.isWhitespace(s.charAt(p[0]))) p[0]++;
    }

    private static byte[] readAll(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
