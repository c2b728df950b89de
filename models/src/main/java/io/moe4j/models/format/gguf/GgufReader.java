package io.moe4j.models.format.gguf;

import io.moe4j.models.format.FormatException;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates the header of a GGUF file held in a segment (a mapping, or bytes in memory for tests and
 * fuzzing). See the package documentation for the layout and for why each check is where it is.
 */
final class GgufReader {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** The specification's limit for keys. */
    static final int MAX_KEY_BYTES = 65_535;
    /** The specification's limit for tensor names (ggml's GGML_MAX_NAME). */
    static final int MAX_NAME_BYTES = 64;
    /** Far above any real value (chat templates, an embedded tokenizer.json) and well inside a Java array. */
    static final int MAX_STRING_BYTES = 1 << 30;
    /** Arrays of arrays are allowed by the format but unused by real files; the bound keeps recursion shallow. */
    static final int MAX_ARRAY_DEPTH = 8;
    /** The largest Java array the JVM reliably allocates. */
    static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;
    /**
     * Heap the metadata may take once decoded. A real vocabulary of 2.6·10^5 tokens with merges decodes to tens of
     * MB; the budget turns a file that is gigabytes of metadata into a clear error instead of an OutOfMemoryError.
     */
    static final long MAX_METADATA_HEAP_BYTES = 1L << 30;

    private final GgufCursor in;
    private final long heapLimit;
    private long heapBudget;

    private GgufReader(Path file, MemorySegment bytes, long heapLimit) {
        this.in = new GgufCursor(file, bytes);
        this.heapLimit = heapLimit;
        this.heapBudget = heapLimit;
    }

    /** Parses the header of the GGUF file {@code file} whose whole contents are {@code bytes}. */
    static GgufHeader parse(Path file, MemorySegment bytes) {
        return parse(file, bytes, MAX_METADATA_HEAP_BYTES);
    }

    /** As {@link #parse(Path, MemorySegment)} with another metadata heap budget (tests use a small one). */
    static GgufHeader parse(Path file, MemorySegment bytes, long metadataHeapLimit) {
        return new GgufReader(file, bytes, metadataHeapLimit).header();
    }

    private GgufHeader header() {
        checkMagic();
        int version = version();
        long tensorCount = in.count("tensor count", 24, Integer.MAX_VALUE); // name length, n_dims, type, offset
        long kvCount = in.count("metadata entry count", 13, Integer.MAX_VALUE); // key length, type, 1-byte value

        Map<String, GgufValue> values = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = in.string("metadata entry " + i + " key", -1, MAX_KEY_BYTES);
            String where = "metadata key '" + key + "'";
            if (values.containsKey(key)) throw in.error(where + " appears twice");
            charge(where, 64 + 2L * key.length()); // the key, its map entry and the value's box
            GgufValueType type = valueType(where + " value type");
            values.put(key, value(where, type));
        }
        GgufMetadata metadata = new GgufMetadata(in.file(), values);
        long alignment = alignment(values.get(ALIGNMENT_KEY));

        List<GgufTensorInfo> tensors = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo info = tensorInfo(i);
            if (!names.add(info.name())) throw in.error("tensor '" + info.name() + "' appears twice in the tensor table");
            tensors.add(info);
        }

        // The data section starts at the next multiple of the alignment. position <= file size < 2^63 and
        // alignment <= 2^31, so this cannot overflow.
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        long dataSize = Math.max(0, in.size() - dataStart);
        if (!tensors.isEmpty() && dataStart > in.size()) {
            throw in.error("the data section would start at byte " + dataStart + " (end of the tensor table, aligned to "
                    + alignment + ") but the file is only " + in.size() + " bytes (truncated?)");
        }
        for (GgufTensorInfo t : tensors) checkPlacement(t, alignment, dataSize);
        checkNoOverlap(tensors);
        return new GgufHeader(version, metadata, tensors, alignment, dataStart, dataSize);
    }

    private void checkMagic() {
        if (in.size() == 0) throw in.error("file is empty (0 bytes); not a GGUF file");
        if (in.size() < 4) {
            throw in.error("file is " + in.size() + " bytes, too short for the 4-byte GGUF magic; not a GGUF file");
        }
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            byte[] b = {(byte) magic, (byte) (magic >> 8), (byte) (magic >> 16), (byte) (magic >> 24)};
            throw in.error("not a GGUF file: it starts with bytes " + hex(b) + ", not 'GGUF'");
        }
    }

    private int version() {
        int version = in.i32("version");
        if (version == 2 || version == 3) return version; // v3 only added big-endian files; the layout is the same
        if (version == 1) {
            throw in.error("GGUF version 1 is not supported: it used 32-bit counts and lengths, which llama.cpp "
                    + "dropped in 2023; convert the model again");
        }
        int swapped = Integer.reverseBytes(version);
        if (swapped == 2 || swapped == 3) {
            throw in.error("big-endian GGUF (version " + swapped + " stored byte-swapped) is not supported");
        }
        throw in.error("unsupported GGUF version " + Integer.toUnsignedString(version) + " (this reader knows 2 and 3)");
    }

    private GgufValueType valueType(String what) {
        long id = in.u32(what);
        return GgufValueType.byId(id).orElseThrow(() -> in.error(what + " " + id + " is not a GGUF value type (0-12)"));
    }

    private GgufValue value(String where, GgufValueType type) {
        return switch (type) {
            case UINT8 -> GgufValue.uint8(in.u8(where));
            case INT8 -> GgufValue.int8((byte) in.u8(where));
            case UINT16 -> GgufValue.uint16(in.i16(where) & 0xFFFF);
            case INT16 -> GgufValue.int16(in.i16(where));
            case UINT32 -> GgufValue.uint32(in.u32(where));
            case INT32 -> GgufValue.int32(in.i32(where));
            case UINT64 -> GgufValue.uint64(in.i64(where));
            case INT64 -> GgufValue.int64(in.i64(where));
            case FLOAT32 -> GgufValue.float32(in.f32(where));
            case FLOAT64 -> GgufValue.float64(in.f64(where));
            case BOOL -> GgufValue.bool(bool(in.u8(where), where, -1));
            case STRING -> {
                String s = in.string(where, -1, MAX_STRING_BYTES);
                charge(where, 48 + 2L * s.length());
                yield GgufValue.string(s);
            }
            case ARRAY -> GgufValue.array(array(where, 1));
        };
    }

    private boolean bool(int b, String where, long index) {
        // The specification: "0 is false and 1 is true. Anything else is invalid."
        if (b > 1) throw in.error(where + (index < 0 ? "" : " [" + index + "]") + ": bool byte is " + b + ", not 0 or 1");
        return b == 1;
    }

    private GgufArray array(String where, int depth) {
        if (depth > MAX_ARRAY_DEPTH) {
            throw in.error(where + ": arrays nested deeper than " + MAX_ARRAY_DEPTH + " levels");
        }
        GgufValueType type = valueType(where + " element type");
        int n = (int) in.count(where + " array length", type.minimumSize(), MAX_ARRAY_LENGTH);
        charge(where, 16 + (long) n * type.size()); // the primitive array; strings and arrays are charged each
        Object data = switch (type) {
            case UINT8, INT8 -> in.bytes(n);
            case UINT16, INT16 -> in.shorts(n);
            case UINT32, INT32 -> in.ints(n);
            case UINT64, INT64 -> in.longs(n);
            case FLOAT32 -> in.floats(n);
            case FLOAT64 -> in.doubles(n);
            case BOOL -> {
                byte[] raw = in.bytes(n);
                boolean[] z = new boolean[n];
                for (int i = 0; i < n; i++) z[i] = bool(raw[i] & 0xFF, where, i);
                yield z;
            }
            case STRING -> {
                String[] s = new String[n];
                for (int i = 0; i < n; i++) {
                    s[i] = in.string(where, i, MAX_STRING_BYTES);
                    charge(where, 48 + 2L * s[i].length());
                }
                yield s;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[n];
                for (int i = 0; i < n; i++) {
                    charge(where, 64);
                    a[i] = array(where + " [" + i + "]", depth + 1);
                }
                yield a;
            }
        };
        return GgufArray.wrap(type, data);
    }

    private void charge(String where, long bytes) {
        heapBudget -= bytes;
        if (heapBudget < 0) {
            throw in.error(where + ": the metadata would take more than " + heapLimit
                    + " bytes of memory once decoded; refusing to load it");
        }
    }

    private long alignment(GgufValue value) {
        if (value == null) return DEFAULT_ALIGNMENT;
        String where = "metadata key '" + ALIGNMENT_KEY + "'";
        if (value.type() != GgufValueType.UINT32) throw in.error(where + " is " + value.type() + ", must be uint32");
        long a = (Long) value.value();
        if (a == 0 || (a & (a - 1)) != 0) throw in.error(where + " = " + a + " is not a power of two");
        return a;
    }

    private GgufTensorInfo tensorInfo(long index) {
        String name = in.string("tensor " + index + " name", -1, MAX_NAME_BYTES);
        String where = "tensor '" + name + "'";
        long nDims = in.u32(where + " dimension count");
        if (nDims > MAX_DIMS) throw in.error(where + ": " + nDims + " dimensions; GGUF tensors have at most " + MAX_DIMS);
        long[] ne = new long[(int) nDims];
        long elements = 1;
        for (int j = 0; j < ne.length; j++) {
            ne[j] = in.i64(where + " ne[" + j + "]");
            if (ne[j] <= 0) {
                throw in.error(where + ": dimension ne[" + j + "] = " + Long.toUnsignedString(ne[j]) + " must be positive"
                        + (ne[j] < 0 ? " and below 2^63" : ""));
            }
            try {
                elements = Math.multiplyExact(elements, ne[j]);
            } catch (ArithmeticException e) {
                throw in.error(where + ": element count of ne " + Arrays.toString(Arrays.copyOf(ne, j + 1)) + " overflows");
            }
        }
        long typeId = in.u32(where + " type");
        GgmlType type = GgmlType.byId(typeId)
                .orElseThrow(() -> in.error(where + ": unknown ggml type id " + typeId));
        long rowLength = ne.length == 0 ? 1 : ne[0];
        if (rowLength % type.blockSize() != 0) {
            throw in.error(where + ": row length ne[0] = " + rowLength + " is not a multiple of " + type
                    + "'s block size " + type.blockSize());
        }
        long byteSize;
        try {
            byteSize = Math.multiplyExact(elements / type.blockSize(), (long) type.typeSize());
        } catch (ArithmeticException e) {
            throw in.error(where + ": byte size of " + elements + " " + type + " elements overflows");
        }
        long offset = in.i64(where + " offset");
        long[] shape = new long[ne.length];
        for (int j = 0; j < ne.length; j++) shape[j] = ne[ne.length - 1 - j];
        return new GgufTensorInfo(name, type, shape, offset, byteSize);
    }

    private void checkPlacement(GgufTensorInfo t, long alignment, long dataSize) {
        String where = "tensor '" + t.name() + "'";
        // Unsigned remainder: an offset of 2^63 or more must still report its alignment correctly.
        if (Long.remainderUnsigned(t.offset(), alignment) != 0) {
            throw in.error(where + ": offset " + Long.toUnsignedString(t.offset()) + " is not aligned to " + alignment);
        }
        // Written so that nothing overflows: offset is checked against the size before being added to.
        if (t.offset() < 0 || t.offset() > dataSize || t.byteSize() > dataSize - t.offset()) {
            throw in.error(where + ": its " + t.byteSize() + " bytes at offset " + Long.toUnsignedString(t.offset())
                    + " do not fit in the data section of " + dataSize + " bytes (truncated file?)");
        }
    }

    private void checkNoOverlap(List<GgufTensorInfo> tensors) {
        List<GgufTensorInfo> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < sorted.size(); i++) {
            GgufTensorInfo prev = sorted.get(i - 1);
            GgufTensorInfo cur = sorted.get(i);
            if (cur.offset() < prev.end()) {
                throw in.error("tensors '" + prev.name() + "' [" + prev.offset() + ", " + prev.end() + ") and '"
                        + cur.name() + "' [" + cur.offset() + ", " + cur.end() + ") overlap");
            }
        }
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(s.isEmpty() ? "" : " ").append(String.format("%02x", x & 0xFF));
        return s.toString();
    }
}
