package io.moe4j.models.format;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Finds the shared golden fixtures ({@code shared/golden}, which sits next to the project, not inside it).
 * Tests run with the module as working directory, so we take {@code -Dmoe4j.golden=DIR} if given and
 * otherwise walk up from {@code user.dir}. Tests that need the fixtures skip, not fail, when absent.
 */
public final class GoldenFiles {
    private GoldenFiles() {}

    public static Optional<Path> root() {
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

    /** {@code root/relative}, or skips the calling test when the fixture is not there. */
    public static Path require(String relative) {
        Optional<Path> root = root();
        Assumptions.assumeTrue(root.isPresent(), "golden fixtures (shared/golden) not found; skipping");
        Path p = root.get().resolve(relative);
        Assumptions.assumeTrue(Files.exists(p), () -> "golden fixture " + p + " not found; skipping");
        return p;
    }
}
