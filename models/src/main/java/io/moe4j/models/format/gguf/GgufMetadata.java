package io.moe4j.models.format.gguf;

import io.moe4j.models.format.FormatException;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The key–value metadata of a GGUF file, in file order, with typed getters for the loaders built on it.
 *
 * <p>A getter for a key the file lacks, or whose value has another type, throws a {@link FormatException} that
 * names the file, the key, and what was found: to a model loader a missing or mistyped key means the file does not
 * describe the model it claims to. Callers probing optional keys use {@link #contains}, {@link #find} or the
 * getters that take a default (which still fail on a value of the wrong type, since that is a broken file, not
 * an absent setting).
 */
public final class GgufMetadata {
    private final Path file;
    private final Map<String, GgufValue> values;

    GgufMetadata(Path file, Map<String, GgufValue> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** Keys in file order. */
    public Set<String> keys() { return values.keySet(); }

    /** All entries in file order, unmodifiable. */
    public Map<String, GgufValue> asMap() { return values; }

    public int size() { return values.size(); }

    public boolean contains(String key) { return values.containsKey(key); }

    public Optional<GgufValue> find(String key) { return Optional.ofNullable(values.get(key)); }

    /** @throws FormatException if the key is missing */
    public GgufValue get(String key) {
        GgufValue v = values.get(key);
        if (v == null) throw new FormatException(file, "metadata key '" + key + "' is missing");
        return v;
    }

    public GgufValueType type(String key) { return get(key).type(); }

    public String getString(String key) { return convert(key, GgufValue::asString); }

    /** Any integer type whose value fits a long. */
    public long getLong(String key) { return convert(key, GgufValue::asLong); }

    /** Any integer type whose value fits an int. */
    public int getInt(String key) { return convert(key, GgufValue::asInt); }

    /** FLOAT32 only. */
    public float getFloat(String key) { return convert(key, GgufValue::asFloat); }

    /** FLOAT32 or FLOAT64. */
    public double getDouble(String key) { return convert(key, GgufValue::asDouble); }

    public boolean getBoolean(String key) { return convert(key, GgufValue::asBoolean); }

    public GgufArray getArray(String key) { return convert(key, GgufValue::asArray); }

    public String getString(String key, String defaultValue) { return contains(key) ? getString(key) : defaultValue; }

    public long getLong(String key, long defaultValue) { return contains(key) ? getLong(key) : defaultValue; }

    public int getInt(String key, int defaultValue) { return contains(key) ? getInt(key) : defaultValue; }

    public float getFloat(String key, float defaultValue) { return contains(key) ? getFloat(key) : defaultValue; }

    public double getDouble(String key, double defaultValue) { return contains(key) ? getDouble(key) : defaultValue; }

    public boolean getBoolean(String key, boolean defaultValue) { return contains(key) ? getBoolean(key) : defaultValue; }

    /** An array of strings (e.g. {@code tokenizer.ggml.tokens}). */
    public List<String> getStrings(String key) { return convert(key, v -> v.asArray().strings()); }

    /** An array of FLOAT32 (e.g. {@code tokenizer.ggml.scores}). */
    public float[] getFloats(String key) { return convert(key, v -> v.asArray().toFloats()); }

    /** An array of any integer type whose elements fit an int (e.g. {@code tokenizer.ggml.token_type}). */
    public int[] getInts(String key) { return convert(key, v -> v.asArray().toInts()); }

    /** An array of any integer type whose elements fit a long. */
    public long[] getLongs(String key) { return convert(key, v -> v.asArray().toLongs()); }

    /** Applies a {@link GgufValue} or {@link GgufArray} accessor, whose complaints name neither file nor key. */
    private <T> T convert(String key, Function<GgufValue, T> accessor) {
        GgufValue v = get(key);
        try {
            return accessor.apply(v);
        } catch (IllegalStateException e) {
            throw new FormatException(file, "metadata key '" + key + "' " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "GgufMetadata[" + values.size() + " keys]";
    }
}
