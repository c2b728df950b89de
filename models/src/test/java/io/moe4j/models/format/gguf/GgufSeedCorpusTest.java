package io.moe4j.models.format.gguf;

import io.moe4j.models.format.FormatException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed seed corpus of {@link GgufFuzzTest} is exactly what {@link GgufSeedCorpus} generates, and each seed
 * is what its name says: {@code valid-*} files open, {@code invalid-*} ones fail with a {@link FormatException}.
 *
 * <p>After changing the writer or the generator, regenerate the files with
 * {@code mvn -pl models -am test -Dtest=GgufSeedCorpusTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dmoe4j.gguf.writeSeeds=true} (run from the repository root; it writes into {@code src/test/resources}).
 */
class GgufSeedCorpusTest {
    /** Where Jazzer's regression mode looks: {@code <package>/<TestClass>Inputs/<method>/} among test resources. */
    static final Path SEED_DIR = Path.of("src/test/resources/io/moe4j/models/format/gguf/GgufFuzzTestInputs/parse");

    @Test
    void committedSeedsMatchTheGenerator() throws IOException {
        Map<String, byte[]> seeds = GgufSeedCorpus.seeds();
        if (Boolean.getBoolean("moe4j.gguf.writeSeeds")) {
            Files.createDirectories(SEED_DIR);
            for (var e : seeds.entrySet()) Files.write(SEED_DIR.resolve(e.getKey()), e.getValue());
        }
        for (var e : seeds.entrySet()) {
            Path committed = SEED_DIR.resolve(e.getKey());
            assertTrue(Files.exists(committed), () -> committed + " is missing; regenerate the seeds (see this class)");
            assertArrayEquals(e.getValue(), Files.readAllBytes(committed), () -> committed + " is stale; regenerate it");
        }
    }

    @Test
    void seedsAreWhatTheirNamesSay() {
        GgufSeedCorpus.seeds().forEach((name, bytes) -> {
            Path label = Path.of(name);
            if (name.startsWith("valid-")) {
                assertDoesNotThrow(() -> GgufFile.read(label, MemorySegment.ofArray(bytes), Arena.ofConfined()).close(), name);
            } else {
                assertThrows(FormatException.class,
                        () -> GgufFile.read(label, MemorySegment.ofArray(bytes), Arena.ofConfined()).close(), name);
            }
        });
    }
}
