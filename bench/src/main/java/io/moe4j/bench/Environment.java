package io.moe4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** What a benchmark ran on and with. */
public record Environment(String cpu, int cores, String os, String java, String moe4j, String onednn, int threads,
                          String started) {

    /** This machine and JVM now. */
    public static Environment current(String moe4jVersion, String onednnVersion, int threads) {
        return new Environment(cpuModel(), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                System.getProperty("java.vm.name") + " " + Runtime.version(), moe4jVersion, onednnVersion, threads,
                Instant.now().toString());
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or /proc not readable: the architecture is all we can say.
        }
        return System.getProperty("os.arch");
    }
}
