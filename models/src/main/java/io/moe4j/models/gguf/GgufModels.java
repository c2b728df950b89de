package io.moe4j.models.gguf;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.nn.Transformer;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.gguf.GgufFile;
import io.moe4j.models.hf.ModelConfig;

import java.lang.foreign.Arena;

/**
 * Models from GGUF files: the architecture named by {@code general.architecture} read from the file's metadata and
 * mapped onto the engine's transformer. Supported: {@code llama} with experts (Mixtral as llama.cpp converts it) and
 * {@code dbrx}.
 */
public final class GgufModels {
    private GgufModels() {}

    /**
     * The model's dimensions and settings from {@code file}'s metadata.
     *
     * @throws FormatException naming the key, the tensor or the architecture at fault
     */
    public static ModelConfig config(GgufFile file) {
        String arch = file.metadata().getString("general.architecture");
        return switch (arch) {
            case GgufLlama.ARCH -> GgufLlama.config(file);
            case GgufDbrx.ARCH -> GgufDbrx.config(file);
            default -> throw new FormatException(file.path(), "GGUF architecture '" + arch
                    + "' is not supported (llama with experts, dbrx)");
        };
    }

    /**
     * The transformer over {@code file}'s tensors (views of the mapping; copies that must be rewritten, such as
     * un-permuted q/k rows, go to {@code arena}).
     *
     * @throws FormatException naming the tensor that is missing or has the wrong shape or type
     */
    public static Transformer build(ModelConfig config, GgufFile file, Arena arena, Backend backend) {
        return config.architecture().equals(GgufDbrx.ARCH) ? GgufDbrx.build(config, file, arena, backend)
                : GgufLlama.build(config, file, arena, backend);
    }
}
