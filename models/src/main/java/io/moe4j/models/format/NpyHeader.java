package io.moe4j.models.format;

import io.moe4j.engine.tensor.DType;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The dict of an npy header: element type and shape. Only little-endian, C-order arrays of the dtypes in
 * {@link #DESCR} are accepted; {@link #format()} writes the text numpy itself would write.
 */
record NpyHeader(DType dtype, long[] shape) {
    private static final Map<String, DType> DESCR = Map.of("<f4", DType.F32, "<f8", DType.F64, "<i4", DType.I32, "<i8", DType.I64);
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    NpyHeader {
        shape = shape.clone();
    }

    @Override
    public long[] shape() { return shape.clone(); }

    /** Parses the header dict text of {@code file}. */
    static NpyHeader parse(Path file, String text) {
        Map<String, Object> dict = PyDictLiteral.parse(file, text);
        if (!dict.keySet().equals(KEYS)) {
            throw new FormatException(file, "npy header must have exactly the keys " + KEYS + ", got " + dict.keySet());
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new FormatException(file, "npy header 'fortran_order' must be True or False, got " + dict.get("fortran_order"));
        }
        if (fortran) {
            throw new FormatException(file, "npy array is stored in Fortran order (fortran_order: True); only C order is supported");
        }
        return new NpyHeader(dtype(file, dict.get("descr")), shape(file, dict.get("shape")));
    }

    /** {@code 'descr': '<f4'} and so on; the array's bytes are copied as they are, so byte order matters. */
    private static DType dtype(Path file, Object descr) {
        if (!(descr instanceof String s)) {
            throw new FormatException(file, "npy header 'descr' must be a string such as '<f4', got " + descr);
        }
        DType dtype = DESCR.get(s);
        if (dtype != null) return dtype;
        if (s.startsWith(">")) {
            throw new FormatException(file, "npy dtype '" + s + "' is big-endian; only little-endian ('<') data is supported");
        }
        throw new FormatException(file, "unsupported npy dtype '" + s + "' (supported: <f4, <f8, <i4, <i8)");
    }

    private static long[] shape(Path file, Object value) {
        if (!(value instanceof List<?> list)) {
            throw new FormatException(file, "npy header 'shape' must be a tuple of integers, got " + value);
        }
        long[] shape = new long[list.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = (Long) list.get(i); // the parser only makes tuples of Long
        return shape;
    }

    /** numpy's own header text, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}. */
    String format() {
        String descr = DESCR.entrySet().stream().filter(e -> e.getValue() == dtype).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("npy cannot store " + dtype
                        + " tensors (supported: F32, F64, I32, I64)"));
        StringJoiner dims = new StringJoiner(", ", "(", shape.length == 1 ? ",)" : ")");
        for (long d : shape) dims.add(Long.toString(d));
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + dims + ", }";
    }

    static boolean supports(DType dtype) { return DESCR.containsValue(dtype); }

    @Override
    public boolean equals(Object o) {
        return o instanceof NpyHeader h && dtype == h.dtype && Arrays.equals(shape, h.shape);
    }

    @Override
    public int hashCode() { return dtype.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() { return "NpyHeader[" + dtype + " " + Arrays.toString(shape) + "]"; }
}
