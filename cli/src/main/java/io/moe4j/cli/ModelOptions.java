package io.moe4j.cli;

import io.moe4j.models.format.gguf.GgmlType;
import io.moe4j.models.hf.Model;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** The options every command that runs a checkpoint shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "A Hugging Face model directory or a .gguf file.")
    Path model;

    @Option(names = "--threads", description = "Threads for oneDNN and our kernels (default: all cores).")
    Integer threads;

    @Option(names = "--quantize", paramLabel = "TYPE", converter = QuantType.class,
            description = "Quantize a Hugging Face checkpoint's weights at load: q8_0 or q4_0 (norms and routers stay F32).")
    GgmlType quantize;

    int threads() { return Threads.resolve(threads); }

    /** The model the options name, quantized at load when {@code --quantize} is given. */
    Model open() throws IOException {
        return quantize == null ? Model.open(model, threads()) : Model.open(model, threads(), quantize);
    }

    /** {@code q8_0} or {@code q4_0} in any case; anything else is a usage error naming the choices. */
    static final class QuantType implements ITypeConverter<GgmlType> {
        @Override
        public GgmlType convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "q8_0" -> GgmlType.Q8_0;
                case "q4_0" -> GgmlType.Q4_0;
                default -> throw new TypeConversionException("must be q8_0 or q4_0, got '" + value + "'");
            };
        }
    }
}
