package io.moe4j.cli;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.Npy;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code moe4j logits}: the logits at every prompt position, from the prefill path (no BOS added). */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the logits at every position of a prompt (float32 [T, V] .npy); ids are used as given.")
final class LogitsCommand implements Callable<Integer> {
    @Mixin ModelOptions model;

    @Option(names = "--tokens", required = true, paramLabel = "IDS", description = "Token ids, e.g. 1,17,242.")
    String tokens;

    @Option(names = "--output", required = true, paramLabel = "L.npy", description = "Where to write float32 [T, V].")
    Path output;

    @Override
    public Integer call() throws Exception {
        int[] ids = TokenList.parse(tokens);
        try (Model m = model.open();
             Session session = m.newSession(ids.length);
             Arena arena = Arena.ofShared()) {
            Tensor logits = Tensor.allocate(arena, DType.F32, ids.length, m.config().vocab());
            session.prefill(ids, logits);
            Npy.write(output, logits);
        }
        return 0;
    }
}
