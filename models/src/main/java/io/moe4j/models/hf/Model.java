package io.moe4j.models.hf;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.nn.Transformer;
import io.moe4j.models.format.SafeTensorsCheckpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * A Hugging Face checkpoint directory opened for inference: {@code config.json}, {@code model.safetensors} or
 * shards with {@code model.safetensors.index.json}. Weights are used in place from the mapped files; opening
 * reads only headers. Open once and share between threads; each conversation is a {@link Session}.
 */
public final class Model implements AutoCloseable {
    private final Path directory;
    private final ModelConfig config;
    private final SafeTensorsCheckpoint checkpoint;
    private final CpuBackend backend;
    private final Arena arena;
    private final Transformer transformer;

    private Model(Path directory, ModelConfig config, SafeTensorsCheckpoint checkpoint, CpuBackend backend, Arena arena,
                  Transformer transformer) {
        this.directory = directory;
        this.config = config;
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.arena = arena;
        this.transformer = transformer;
    }

    /** Opens {@code directory} with {@code threads} threads for the CPU backend. */
    public static Model open(Path directory, int threads) throws IOException {
        ConfigJson json = ConfigJson.read(directory.resolve("config.json"));
        Architecture architecture = Architecture.of(json);
        ModelConfig config = architecture.config(json);
        SafeTensorsCheckpoint checkpoint = SafeTensorsCheckpoint.open(directory);
        CpuBackend backend = null;
        Arena arena = Arena.ofShared();
        try {
            backend = CpuBackend.create(threads);
            Transformer transformer = architecture.build(config, new CheckpointTensors(checkpoint, arena), backend);
            return new Model(directory, config, checkpoint, backend, arena, transformer);
        } catch (RuntimeException e) {
            if (backend != null) backend.close();
            arena.close();
            checkpoint.close();
            throw e;
        }
    }

    public Path directory() { return directory; }

    public ModelConfig config() { return config; }

    public Transformer transformer() { return transformer; }

    public SafeTensorsCheckpoint checkpoint() { return checkpoint; }

    /** A new conversation with a KV cache of {@code context} positions. */
    public Session newSession(int context) {
        return new Session(this, context);
    }

    @Override
    public void close() {
        transformer.close();
        backend.close();
        arena.close();
        checkpoint.close();
    }
}
