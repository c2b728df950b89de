package io.moe4j.e2e;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared golden fixtures: {@code -Dmoe4j.golden=DIR}, else {@code shared/golden} found by walking up from the
 * working directory (the project's checkout sits next to {@code shared/}). Tests are skipped, not failed, without it.
 */
final class Golden {
    private Golden() {}

    static Path dir() {
        String configured = System.getProperty("moe4j.golden");
        if (configured != null) return Path.of(configured);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("golden");
            if (Files.isDirectory(candidate)) return candidate;
        }
        Assumptions.abort("golden fixtures (shared/golden) not found");
        return null;
    }

    static Path layer(String name) { return dir().resolve("layers").resolve(name); }
}
