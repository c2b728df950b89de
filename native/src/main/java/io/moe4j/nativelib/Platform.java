package io.moe4j.nativelib;

import java.util.Locale;

/** The OS/architecture pair that names a folder of bundled natives, e.g. {@code linux-x86_64}. */
public record Platform(String os, String arch) {

    public static Platform current() {
        return of(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    static Platform of(String osName, String osArch) {
        String name = osName.toLowerCase(Locale.ROOT);
        String os = name.startsWith("linux") ? "linux"
                : name.startsWith("mac") || name.startsWith("darwin") ? "macosx"
                : name.startsWith("windows") ? "windows" : name.replace(' ', '_');
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x86-64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> osArch.toLowerCase(Locale.ROOT);
        };
        return new Platform(os, arch);
    }

    @Override
    public String toString() {
        return os + "-" + arch;
    }
}
