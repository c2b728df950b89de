package io.moe4j.bench.twin;

import io.moe4j.bench.LayerShape;
import io.moe4j.engine.tensor.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Finding the twin, explaining its absence, and turning its exit status and output into results or clear errors. */
class TwinTest {
    private static final LayerShape SHAPE = LayerShape.parse("64,128,4,2");

    @TempDir
    Path dir;

    @BeforeAll
    static void posixShell() {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "stand-in twins are /bin/sh scripts");
    }

    @Test
    void propertyThenEnvironmentThenBuildFolder() {
        Path work = Path.of("/repo");
        assertEquals(Path.of("/p/twin"), Twin.locate("/p/twin", "/e/twin", work).binary());
        assertEquals(Path.of("/e/twin"), Twin.locate(" ", "/e/twin", work).binary());
        assertEquals(Path.of("/repo/native/target/twin/moe4j-twin"), Twin.locate(null, null, work).binary());
    }

    @Test
    void absenceIsExplained() throws IOException {
        Path binary = dir.resolve("moe4j-twin");
        String reason = Twin.locate(binary.toString(), null, dir).unavailableReason();
        assertTrue(reason.contains("not found at " + binary) && reason.contains("-Dmoe4j.twin"), reason);
        assertTrue(Twin.at(binary).unavailableReason().contains("gcc installed"), Twin.at(binary).unavailableReason());

        // What the native module's build writes when it finds no compiler.
        Files.writeString(dir.resolve("moe4j-twin.unavailable"), "gcc was not found when the project was built\n");
        Twin twin = Twin.at(binary);
        assertFalse(twin.isAvailable());
        assertEquals("C twin not built: gcc was not found when the project was built", twin.unavailableReason());
        TwinException e = assertThrows(TwinException.class, () -> twin.run(SHAPE, DType.F32, 1, 2, 1, 0, 1));
        assertEquals(twin.unavailableReason(), e.getMessage());

        Files.writeString(binary, "not a program");
        assertEquals("C twin " + binary + " is not executable", twin.unavailableReason());
    }

    @Test
    void passesTheRowAsArguments() throws IOException {
        Path args = dir.resolve("args");
        Twin twin = script("echo \"$@\" > '" + args + "'\n" + OK_JSON);
        TwinResult r = twin.run(LayerShape.MIXTRAL, DType.BF16, 32, 2, 3, 1, -7);
        assertEquals("--shape 4096,14336,8,2 --dtype bf16 --tokens 32 --threads 2 --repeat 3 --warmup 1 --seed -7",
                Files.readString(args).strip());
        assertArrayEquals(new double[] {1.5, 2.0, 1.75}, r.timing().ms());
        assertArrayEquals(new long[] {10, 0, 8, 9, 12, 7, 9, 9}, r.expertLoad());
        assertEquals(-0.125, r.checksum());
        assertEquals(12.5, r.absChecksum());
    }

    private static final String OK_JSON = "echo 'weights ready'\n"
            + "echo '{\"ms\":[1.5,2.0,1.75],\"expert_load\":[10,0,8,9,12,7,9,9],\"checksum\":-0.125,\"abs_checksum\":12.5}'\n";

    @Test
    void nullSumsAreNaN() throws IOException {
        Twin twin = script("echo '{\"ms\":[1],\"expert_load\":[1,1,0,0],\"checksum\":null,\"abs_checksum\":null}'\n");
        TwinResult r = twin.run(SHAPE, DType.F32, 1, 1, 1, 0, 1);
        assertTrue(Double.isNaN(r.checksum()) && Double.isNaN(r.absChecksum()));
        assertFalse(r.check(new long[] {1, 1, 0, 0}, new OutputSums(1, 1)).agrees());
    }

    @Test
    void exitStatusesBecomeSentences() throws IOException {
        TwinException bad = assertThrows(TwinException.class,
                () -> script("echo 'moe4j-twin: --tokens must be an integer' >&2; exit 2\n").run(SHAPE, DType.F32, 1, 1, 1, 0, 1));
        assertTrue(bad.getMessage().startsWith("the C twin rejected its arguments (--shape 64,128,4,2 --dtype f32"), bad.getMessage());
        assertTrue(bad.getMessage().endsWith("moe4j-twin: --tokens must be an integer"), bad.getMessage());

        TwinException failed = assertThrows(TwinException.class,
                () -> script("echo 'moe4j-twin: oneDNN dnnl_primitive_execute failed: out_of_memory (status 1)' >&2; exit 1\n")
                        .run(SHAPE, DType.F32, 1, 1, 1, 0, 1));
        assertEquals("the C twin failed: moe4j-twin: oneDNN dnnl_primitive_execute failed: out_of_memory (status 1)",
                failed.getMessage());

        TwinException crashed = assertThrows(TwinException.class, () -> script("kill -SEGV $$\n").run(SHAPE, DType.F32, 1, 1, 1, 0, 1));
        assertTrue(crashed.getMessage().startsWith("the C twin crashed (signal 11)"), crashed.getMessage());
    }

    @Test
    void badOutputIsReported() throws IOException {
        TwinException none = assertThrows(TwinException.class,
                () -> script("echo 'only stderr' >&2\n").run(SHAPE, DType.F32, 1, 1, 1, 0, 1));
        assertEquals("the C twin printed no result (stderr: only stderr)", none.getMessage());

        TwinException garbage = assertThrows(TwinException.class, () -> script("echo 'ms: 3'\n").run(SHAPE, DType.F32, 1, 1, 1, 0, 1));
        assertTrue(garbage.getMessage().startsWith("the C twin printed something that is not JSON: 'ms: 3'"), garbage.getMessage());

        TwinException short_ = assertThrows(TwinException.class, () -> script(OK_JSON).run(SHAPE, DType.F32, 1, 1, 2, 0, 1));
        assertTrue(short_.getMessage().startsWith("the C twin's result has no 'ms' array of 2 times"), short_.getMessage());

        TwinException loads = assertThrows(TwinException.class,
                () -> script(OK_JSON).run(SHAPE, DType.F32, 1, 1, 3, 0, 1)); // 8 loads for a 4-expert shape
        assertTrue(loads.getMessage().startsWith("the C twin's result has no 'expert_load' array of 4 counts"), loads.getMessage());
    }

    @Test
    void slowTwinTimesOut() throws IOException {
        Twin twin = script("sleep 30\n").withTimeout(Duration.ofMillis(300));
        long start = System.nanoTime();
        TwinException e = assertThrows(TwinException.class, () -> twin.run(SHAPE, DType.F32, 1, 1, 1, 0, 1));
        assertTrue(e.getMessage().startsWith("the C twin did not finish within 300 ms"), e.getMessage());
        assertTrue(System.nanoTime() - start < 20_000_000_000L, "killed, not waited for");
    }

    @Test
    void rowsTheTwinCannotRunAreRefused() {
        Twin twin = Twin.at(dir.resolve("moe4j-twin"));
        assertThrows(IllegalArgumentException.class, () -> twin.command(SHAPE, DType.F16, 1, 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> twin.command(SHAPE, DType.F32, 0, 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> twin.command(SHAPE, DType.F32, 1, 1, 1, -1, 1));
        assertThrows(IllegalArgumentException.class, () -> twin.withTimeout(Duration.ZERO));
    }

    @Test
    void checkComparesLoadsAndSums() {
        TwinResult c = new TwinResult(new io.moe4j.bench.Timing(new double[] {1}), new long[] {3, 1}, 0.5, 100);
        assertTrue(c.check(new long[] {3, 1}, new OutputSums(0.5 + 1e-4, 100 - 1e-4)).agrees()); // 1e-6 of Σ|y|
        TwinCheck sums = c.check(new long[] {3, 1}, new OutputSums(0.5 + 1e-2, 100)); // 1e-4 of Σ|y|
        assertTrue(sums.loadsMatch());
        assertFalse(sums.sumsMatch());
        assertTrue(sums.describe().contains("Σy differs by 1.000e-04"), sums.describe());
        TwinCheck loads = c.check(new long[] {2, 2}, new OutputSums(0.5, 100));
        assertFalse(loads.agrees());
        assertEquals("C twin disagrees with Java: expert loads [3, 1] (C) vs [2, 2] (Java)", loads.describe());
    }

    /** A stand-in twin: an executable /bin/sh script with this body. */
    private Twin script(String body) throws IOException {
        Path binary = dir.resolve("moe4j-twin");
        Files.writeString(binary, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        return Twin.at(binary);
    }

    @Test
    void commandNamesTheBinaryFirst() {
        Twin twin = Twin.at(dir.resolve("moe4j-twin"));
        List<String> command = twin.command(SHAPE, DType.F32, 3, 2, 5, 1, 9);
        assertEquals(dir.resolve("moe4j-twin").toAbsolutePath().toString(), command.getFirst());
        assertEquals(15, command.size());
        assertNull(Twin.at(Path.of("/bin/sh")).unavailableReason());
    }
}
