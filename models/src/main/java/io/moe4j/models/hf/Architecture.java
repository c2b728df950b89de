package io.moe4j.models.hf;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.nn.Transformer;
import io.moe4j.models.format.FormatException;


/** A Hugging Face architecture: how to read its config and map its tensors onto the engine's transformer. */
sealed interface Architecture permits MixtralArchitecture, DbrxArchitecture {

    ModelConfig config(ConfigJson json);

    Transformer build(ModelConfig config, CheckpointTensors tensors, Backend backend);

    static Architecture of(ConfigJson json) {
        String name = json.architecture();
        return switch (name) {
            case "MixtralForCausalLM", "mixtral" -> new MixtralArchitecture();
            case "DbrxForCausalLM", "dbrx" -> new DbrxArchitecture();
            default -> throw new FormatException(json.file(), "architecture " + name
                    + " is not supported (MixtralForCausalLM, DbrxForCausalLM)");
        };
    }
}
