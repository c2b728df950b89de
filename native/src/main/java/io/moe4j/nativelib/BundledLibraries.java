package io.moe4j.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Checksum;
import java.util.jar.JarEntry;

/**
 * Copies native libraries shipped as class-path resources into a per-user cache folder, once.
 *
 * <p>The folder name is a hash of the libraries' contents, so a new artifact version lands beside the old one
 * and a half-written folder is never reused: each set is written to a temporary folder and renamed into place
 * atomically, which also makes concurrent first runs of several JVMs safe. Inside a jar the content hash comes
 * from the entries' CRC-32s in the jar's directory, so a warm start reads no library bytes.
 */
final class BundledLibraries {
    private final Path cacheRoot;

    BundledLibraries(Path cacheRoot) {
        this.cacheRoot = cacheRoot;
    }

    /** The default cache root: {@code moe4j.cache.dir}, else {@code $XDG_CACHE_HOME/moe4j}, else {@code ~/.cache/moe4j}. */
    static Path defaultCacheRoot() {
        String configured = System.getProperty("moe4j.cache.dir");
        if (configured != null && !configured.isBlank()) return Path.of(configured);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "moe4j");
        return Path.of(System.getProperty("user.home"), ".cache", "moe4j");
    }

    /**
     * Extracts {@code resourceDir/name} for every name into one cache folder and returns that folder.
     *
     * @throws NativeLibraryException naming the first resource that is absent or cannot be written
     */
    Path extract(ClassLoader loader, String resourceDir, List<String> names) {
        List<URL> urls = new ArrayList<>();
        for (String name : names) {
            URL url = loader.getResource(resourceDir + "/" + name);
            if (url == null) {
                throw new NativeLibraryException("resource " + resourceDir + "/" + name + " is not on the class path");
            }
            urls.add(url);
        }
        Path target = cacheRoot.resolve("native").resolve(contentKey(urls));
        if (isComplete(target, names)) return target;
        try {
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), ".extract-");
            try {
                for (int i = 0; i < names.size(); i++) {
                    try (InputStream in = urls.get(i).openStream()) {
                        Files.copy(in, staging.resolve(names.get(i)), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                moveIntoPlace(staging, target);
            } finally {
                deleteRecursively(staging);
            }
        } catch (IOException e) {
            throw new NativeLibraryException("cannot extract native libraries " + names + " into " + target + ": " + e
                    + " (set -Dmoe4j.cache.dir or XDG_CACHE_HOME to a writable folder)", e);
        }
        if (!isComplete(target, names)) {
            throw new NativeLibraryException("extracted native libraries are incomplete in " + target);
        }
        return target;
    }

    private static boolean isComplete(Path dir, List<String> names) {
        for (String name : names) {
            if (!Files.isRegularFile(dir.resolve(name))) return false;
        }
        return true;
    }

    private static void moveIntoPlace(Path staging, Path target) throws IOException {
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException raced) {
            // Another process finished first; its copy has the same content.
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, target);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /** CRC-32 and size of every resource, hashed together; from the jar directory when the resource is in a jar. */
    private static String contentKey(List<URL> urls) {
        CRC32 key = new CRC32();
        long totalSize = 0;
        for (URL url : urls) {
            long crc;
            long size;
            try {
                URLConnection connection = url.openConnection();
                connection.setUseCaches(false);
                JarEntry entry = connection instanceof JarURLConnection jar ? jar.getJarEntry() : null;
                if (entry != null && entry.getCrc() != -1 && entry.getSize() != -1) {
                    crc = entry.getCrc();
                    size = entry.getSize();
                } else {
                    CRC32 c = new CRC32();
                    try (InputStream in = connection.getInputStream()) {
                        size = update(c, in);
                    }
                    crc = c.getValue();
                }
            } catch (IOException e) {
                throw new NativeLibraryException("cannot read native library resource " + url + ": " + e, e);
            }
            key.update(url.getPath().substring(url.getPath().lastIndexOf('/') + 1).getBytes());
            key.update(longBytes(crc));
            key.update(longBytes(size));
            totalSize += size;
        }
        return HexFormat.of().toHexDigits((int) key.getValue()) + "-" + Long.toHexString(totalSize);
    }

    private static long update(Checksum checksum, InputStream in) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; total += n) checksum.update(buffer, 0, n);
        return total;
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (v >>> (8 * i));
        return b;
    }
}
