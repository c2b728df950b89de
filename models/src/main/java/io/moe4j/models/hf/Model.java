package io.moe4j.models.hf;

import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.backend.cpu.JitWarmup;
import io.moe4j.engine.nn.Transformer;
import io.moe4j.models.format.SafeTensorsCheckpoint;
import io.moe4j.models.format.gguf.GgufFile;
import io.moe4j.models.format.gguf.GgmlType;
import io.moe4j.models.gguf.GgufCheckpoint;
import io.moe4j.models.gguf.GgufConverter;
import io.moe4j.models.gguf.GgufModels;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model opened for inference from a Hugging Face checkpoint directory ({@code config.json},
 * {@code model.safetensors} or shards with {@code model.safetensors.index.json}) or from a GGUF file. Weights are
 * used in place from the mapped files; opening reads only headers (and copies the few tensors that must be
 * rewritten). Open once and share between threads; each conversation is a {@link Session}.
 */
public final class Model implements AutoCloseable {
    private final Path directory;
    private final ModelConfig config;
    private final Checkpoint checkpoint;
    private final CpuBackend backend;
    private final Arena arena;
    private final Transformer transformer;

    private Model(Path directory, ModelConfig config, Checkpoint checkpoint, CpuBackend backend, Arena arena,
                  Transformer transformer) {
        this.directory = directory;
        this.config = config;
        this.checkpoint = checkpoint;
        this.backend = backend;
        this.arena = arena;
        this.transformer = transformer;
    }

    /** How a format maps its checkpoint onto the engine, given the model's arena and backend. */
    private interface Builder {
        Transformer build(Arena arena, CpuBackend backend);
    }

    /**
     * Opens {@code location} with {@code threads} threads for the CPU backend: a regular file (or any path named
     * {@code *.gguf}, so that a missing file is reported as itself) is read as GGUF, a directory as a Hugging Face
     * checkpoint.
     */
    public static Model open(Path location, int threads) throws IOException {
        if (Files.isRegularFile(location) || location.getFileName() != null
                && location.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            GgufFile file = GgufFile.open(location);
            ModelConfig config;
            try {
                config = GgufModels.config(file);
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
            return assemble(location, config, new GgufCheckpoint(file), threads,
                    (arena, backend) -> GgufModels.build(config, file, arena, backend));
        }
        ConfigJson json = ConfigJson.read(location.resolve("config.json"));
        Architecture architecture = Architecture.of(json);
        ModelConfig config = architecture.config(json);
        SafeTensorsCheckpoint checkpoint = SafeTensorsCheckpoint.open(location);
        return assemble(location, config, new SafeTensorsSource(checkpoint), threads,
                (arena, backend) -> architecture.build(config, new CheckpointTensors(checkpoint, arena), backend));
    }

    /**
     * Opens the Hugging Face checkpoint directory {@code directory} with its weight matrices quantized at load to
     * {@code quantize} (Q8_0 or Q4_0; norms, routers and rows not a multiple of 32 stay F32), exactly as
     * {@code moe4j quantize} would write them: the checkpoint is converted by {@link GgufConverter} into a temporary
     * GGUF file in {@code java.io.tmpdir}, which is mapped and deleted at once (the mapping keeps its pages; nothing
     * stays on disk), and the model is that file's. Going through the converter keeps one quantization path, so a
     * model quantized at load computes bit for bit what the written file computes.
     *
     * @throws IllegalArgumentException if {@code directory} is a file (a GGUF file's tensors already have their type)
     *                                  or the type is not Q8_0 or Q4_0
     */
    public static Model open(Path directory, int threads, GgmlType quantize) throws IOException {
        if (Files.isRegularFile(directory)) {
            throw new IllegalArgumentException("quantizing at load needs a Hugging Face checkpoint directory; " + directory
                    + " is a file (a GGUF file's weights are used in the types they are stored in)");
        }
        Path temporary = Files.createTempFile("moe4j-", "." + quantize + ".gguf");
        try {
            GgufConverter.convert(directory, quantize, temporary, threads, GgufConverter.Progress.NONE);
            Model gguf = open(temporary, threads);
            return new Model(directory, gguf.config, gguf.checkpoint, gguf.backend, gguf.arena, gguf.transformer);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * The configuration of the Hugging Face checkpoint directory {@code directory} ({@code config.json} only; no
     * weights are opened), for tools such as the GGUF converter that map a checkpoint without running it.
     */
    public static ModelConfig readConfig(Path directory) throws IOException {
        ConfigJson json = ConfigJson.read(directory.resolve("config.json"));
        return Architecture.of(json).config(json);
    }

    private static Model assemble(Path location, ModelConfig config, Checkpoint checkpoint, int threads, Builder builder) {
        CpuBackend backend = null;
        Arena arena = Arena.ofShared();
        try {
            backend = CpuBackend.create(threads);
            Transformer transformer = builder.build(arena, backend);
            return new Model(location, config, checkpoint, backend, arena, transformer);
        } catch (RuntimeException e) {
            if (backend != null) backend.close();
            arena.close();
            checkpoint.close();
            throw e;
        }
    }

    /** The directory or GGUF file the model was opened from. */
    public Path directory() { return directory; }

    public ModelConfig config() { return config; }

    public Transformer transformer() { return transformer; }

    /** The stored tensors the weights are views of. */
    public Checkpoint checkpoint() { return checkpoint; }

    /**
     * Has the JIT compile the small kernels every decoded token calls (norms, residual adds, RoPE, activations, the
     * embedding row's widening) before the first token, so that decode allocates nothing on the Java heap from the
     * start instead of after several hundred tokens ({@link JitWarmup} says why). Takes about a second; a
     * service calls it once after {@link #open}, and it is safe to skip (the first tokens are then slower and make
     * garbage). Thread-safe; touches no model state.
     */
    public void warmUp() {
        JitWarmup.run(backend, config.headDim());
    }

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
