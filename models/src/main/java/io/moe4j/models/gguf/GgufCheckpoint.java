package io.moe4j.models.gguf;

import io.moe4j.models.format.gguf.GgufFile;
import io.moe4j.models.hf.Checkpoint;

import java.nio.file.Path;
import java.util.List;

/** A GGUF file as a model's {@link Checkpoint}: one mapped file; types are ggml's names ({@code Q8_0}, {@code F32}, …). */
public final class GgufCheckpoint implements Checkpoint {
    private final GgufFile file;

    public GgufCheckpoint(GgufFile file) {
        this.file = file;
    }

    public GgufFile file() { return file; }

    @Override
    public Path source() { return file.path(); }

    @Override
    public int files() { return 1; }

    @Override
    public List<String> names() { return file.names(); }

    @Override
    public String type(String name) { return file.info(name).type().name(); }

    @Override
    public long byteSize(String name) { return file.info(name).byteSize(); }

    @Override
    public void close() { file.close(); }
}
