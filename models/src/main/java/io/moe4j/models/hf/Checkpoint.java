package io.moe4j.models.hf;

import java.nio.file.Path;
import java.util.List;

/**
 * Where a {@link Model}'s weights come from — a safetensors checkpoint or a GGUF file — as far as tools that describe
 * a model (inspect, bench) need it: the stored tensors with their storage type and size. The model keeps it open
 * (its weights are views of it) and closes it last.
 */
public interface Checkpoint extends AutoCloseable {

    /** The directory or file the model was opened from. */
    Path source();

    /** Files the weights are mapped from (safetensors shards, or 1 for GGUF). */
    int files();

    /** Stored tensor names, in file order. */
    List<String> names();

    /** The tensor's storage type as its format names it, upper case: {@code F32}, {@code BF16}, {@code Q8_0}, … */
    String type(String name);

    /** The tensor's stored bytes. */
    long byteSize(String name);

    @Override
    void close();
}
