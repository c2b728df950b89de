package io.moe4j.models.layer;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the shared golden layer fixtures ({@code shared/golden/layers}, next to the project): from
 * {@code -Dmoe4j.golden=DIR} if given, else by walking up from {@code user.dir}. Tests skip when absent.
 * (The same lookup as the format package's package-private {@code GoldenFiles}.)
 */
final class GoldenLayers {
    private GoldenLayers() {}

    static Optional<Path> root() {
        String property = System.getProperty("moe4j.golden");
        if (property != null && !property.isBlank()) {
            Path p = Path.of(property);
            return Files.isDirectory(p) ? Optional.of(p) : Optional.empty();
        }
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("golden");
            if (Files.isDirectory(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    /** {@code root/layers/name}, or skips the calling test when it is not there. */
    static Path require(String name) {
        Optional<Path> root = root();
        Assumptions.assumeTrue(root.isPresent(), "golden fixtures (shared/golden) not found; skipping");
        Path p = root.get().resolve("layers").resolve(name);
        Assumptions.assumeTrue(Files.exists(p), () -> "golden fixture " + p + " not found; skipping");
        return p;
    }
}
