package io.moe4j.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The options every command that runs a checkpoint shares. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "A Hugging Face model directory or a .gguf file.")
    Path model;

    @Option(names = "--threads", description = "Threads for oneDNN and our kernels (default: all cores).")
    Integer threads;

    int threads() { return Threads.resolve(threads); }
}
