package io.moe4j.cli;

import io.moe4j.engine.backend.cpu.CpuBackend;

/** The {@code --threads} option shared by commands: a positive count, or the engine's default. */
final class Threads {
    private Threads() {}

    static int resolve(Integer option) {
        if (option == null) return CpuBackend.defaultThreads();
        if (option < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + option);
        return option;
    }
}
