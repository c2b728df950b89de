package io.moe4j.nativelib;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BundledLibrariesTest {
    @TempDir Path tmp;

    @Test
    void extractsOnceIntoAFolderNamedByContent() throws IOException {
        Path jar = jarWith("lib/a.so", new byte[] {1, 2, 3}, "lib/b.so", new byte[] {4, 5});
        BundledLibraries cache = new BundledLibraries(tmp.resolve("cache"));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            Path dir = cache.extract(loader, "lib", List.of("a.so", "b.so"));
            assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(dir.resolve("a.so")));
            assertArrayEquals(new byte[] {4, 5}, Files.readAllBytes(dir.resolve("b.so")));
            long modified = Files.getLastModifiedTime(dir.resolve("a.so")).toMillis();
            assertEquals(dir, cache.extract(loader, "lib", List.of("a.so", "b.so")));
            assertEquals(modified, Files.getLastModifiedTime(dir.resolve("a.so")).toMillis());
            try (var entries = Files.list(dir.getParent())) {
                assertEquals(1, entries.count(), "no staging folders left behind");
            }
        }
        Path other = jarWith("lib/a.so", new byte[] {1, 2, 4}, "lib/b.so", new byte[] {4, 5});
        try (URLClassLoader loader = new URLClassLoader(new URL[] {other.toUri().toURL()}, null)) {
            Path dir2 = cache.extract(loader, "lib", List.of("a.so", "b.so"));
            assertArrayEquals(new byte[] {1, 2, 4}, Files.readAllBytes(dir2.resolve("a.so")));
            assertNotEquals(dir2.getFileName(), tmp.resolve("x").getFileName());
        }
    }

    @Test
    void missingResourceIsNamed() throws IOException {
        Path jar = jarWith("lib/a.so", new byte[] {1}, "lib/c.so", new byte[] {2});
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            var e = assertThrows(NativeLibraryException.class,
                    () -> new BundledLibraries(tmp).extract(loader, "lib", List.of("a.so", "b.so")));
            assertTrue(e.getMessage().contains("lib/b.so"), e.getMessage());
        }
    }

    @Test
    void unwritableCacheSaysHowToChooseAnother() throws IOException {
        Path jar = jarWith("lib/a.so", new byte[] {1}, "lib/b.so", new byte[] {2});
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            var e = assertThrows(NativeLibraryException.class,
                    () -> new BundledLibraries(file).extract(loader, "lib", List.of("a.so")));
            assertTrue(e.getMessage().contains("moe4j.cache.dir"), e.getMessage());
        }
    }

    private Path jarWith(String n1, byte[] c1, String n2, byte[] c2) throws IOException {
        Path jar = Files.createTempFile(tmp, "natives", ".jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new JarEntry(n1));
            out.write(c1);
            out.closeEntry();
            out.putNextEntry(new JarEntry(n2));
            out.write(c2);
            out.closeEntry();
        }
        return jar;
    }
}
