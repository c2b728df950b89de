package io.moe4j.cli;

import io.moe4j.engine.sampling.Sampler;
import io.moe4j.engine.sampling.SamplingSettings;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;
import io.moe4j.models.tokenizer.GgufTokenizers;
import io.moe4j.models.tokenizer.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;

/**
 * {@code moe4j generate}: continue a prompt. Prints the new ids space-separated on one line, then the text when
 * the model directory has a {@code tokenizer.json}; {@code --stream} prints each id as it is chosen.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate tokens after a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--tokens", paramLabel = "IDS", description = "Prompt token ids, e.g. 1,17,242 (used as given).")
        String tokens;

        @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text (needs tokenizer.json in the model directory, or a GGUF file with tokenizer metadata).")
        String text;
    }

    @Option(names = "--max-tokens", defaultValue = "32", description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (0 = all).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling threshold (1 = off).")
    float topP;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the sampler.")
    long seed;

    @Option(names = "--stop", paramLabel = "IDS", description = "Extra stop ids (the config's EOS ids always stop).")
    String stop;

    @Option(names = "--stream", description = "Print each token as it is chosen.")
    boolean stream;

    @Override
    public Integer call() throws Exception {
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be at least 1, got " + maxTokens);
        Sampler sampler = new Sampler(new SamplingSettings(temperature, topK, topP, seed));
        PrintWriter out = spec.commandLine().getOut();
        boolean gguf = Files.isRegularFile(model.model);
        Path tokenizerFile = model.model.resolve("tokenizer.json");
        Tokenizer tokenizer = gguf ? GgufTokenizers.load(model.model)
                : Files.isRegularFile(tokenizerFile) ? Tokenizer.load(tokenizerFile) : null;
        int[] ids;
        if (prompt.text != null) {
            if (tokenizer == null) {
                throw new IllegalArgumentException("--prompt needs " + tokenizerFile + "; pass --tokens instead");
            }
            ids = tokenizer.encode(prompt.text, true);
        } else {
            ids = TokenList.parse(prompt.tokens);
        }
        if (ids.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        try (Model m = model.open();
             Session session = m.newSession(ids.length + maxTokens)) {
            int[] stopIds = concat(m.config().eosIds(), stop == null ? new int[0] : TokenList.parse(stop));
            boolean[] first = {true};
            int[] generated = session.generate(ids, maxTokens, sampler, stopIds, !stream ? null : id -> {
                out.print((first[0] ? "" : " ") + id);
                out.flush();
                first[0] = false;
            });
            if (!stream) out.print(join(generated));
            out.println();
            if (tokenizer != null) out.println(tokenizer.decode(generated, true));
            out.flush();
        }
        return 0;
    }

    private static String join(int[] ids) {
        StringJoiner j = new StringJoiner(" ");
        for (int id : ids) j.add(Integer.toString(id));
        return j.toString();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
