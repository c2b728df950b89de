package io.moe4j.e2e;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code moe4j info} end to end: natives load, every matmul path passes its self-check, bad flags are refused. */
class InfoCommandTest {

    @Test
    void reportsVersionsAndPassesTheSelfCheck() {
        CliRun run = CliRun.of("info", "--threads", "2");
        assertEquals(0, run.exitCode(), run.out() + run.err());
        assertTrue(run.out().contains("oneDNN         3.13"), run.out());
        assertTrue(run.out().matches("(?s).*ISA +\\S+.*"), run.out());
        assertTrue(run.out().contains("threads        2"), run.out());
        for (String type : new String[] {"f32", "bf16", "f16"}) {
            assertTrue(run.out().matches("(?s).*\\n  " + type + " +64 +384 +1024 +\\S+  ok\\n.*"), run.out());
        }
        assertTrue(run.out().contains("self-check passed"), run.out());
    }

    @Test
    void badThreadCountIsAOneLineError() {
        CliRun run = CliRun.of("info", "--threads", "0");
        assertEquals(1, run.exitCode());
        assertEquals("moe4j info: --threads must be at least 1, got 0", run.err().strip());
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertEquals(2, CliRun.of("nonsense").exitCode());
        CliRun run = CliRun.of("info", "--bogus");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("--bogus"), run.err());
    }
}
