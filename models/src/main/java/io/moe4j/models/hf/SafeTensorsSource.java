package io.moe4j.models.hf;

import io.moe4j.models.format.SafeTensorsCheckpoint;

import java.nio.file.Path;
import java.util.List;

/** A Hugging Face checkpoint's safetensors files as a model's {@link Checkpoint}. */
record SafeTensorsSource(SafeTensorsCheckpoint checkpoint) implements Checkpoint {

    @Override
    public Path source() { return checkpoint.source(); }

    @Override
    public int files() { return checkpoint.shards().size(); }

    @Override
    public List<String> names() { return checkpoint.names(); }

    @Override
    public String type(String name) { return checkpoint.info(name).dtype().name(); }

    @Override
    public long byteSize(String name) { return checkpoint.info(name).byteSize(); }

    @Override
    public void close() { checkpoint.close(); }
}
