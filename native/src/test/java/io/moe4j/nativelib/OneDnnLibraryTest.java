package io.moe4j.nativelib;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OneDnnLibraryTest {
    @TempDir Path tmp;

    @Test
    void configuredPathThatDoesNotExistIsNamed() {
        var e = assertThrows(NativeLibraryException.class, () -> OneDnnLibrary.resolve(
                tmp.resolve("nope/libdnnl.so").toString(), Platform.of("Linux", "amd64"),
                getClass().getClassLoader(), new BundledLibraries(tmp)));
        assertTrue(e.getMessage().contains("nope/libdnnl.so") && e.getMessage().contains(OneDnnLibrary.PATH_PROPERTY),
                e.getMessage());
    }

    @Test
    void otherPlatformsAreToldHowToProvideOneDnn() {
        var e = assertThrows(NativeLibraryException.class, () -> OneDnnLibrary.resolve(
                null, Platform.of("Mac OS X", "aarch64"), getClass().getClassLoader(), new BundledLibraries(tmp)));
        assertTrue(e.getMessage().contains("macosx-arm64") && e.getMessage().contains(OneDnnLibrary.PATH_ENV),
                e.getMessage());
    }

    @Test
    void missingArtifactIsNamed() throws Exception {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            var e = assertThrows(NativeLibraryException.class, () -> OneDnnLibrary.resolve(
                    null, Platform.of("Linux", "amd64"), empty, new BundledLibraries(tmp)));
            assertTrue(e.getMessage().contains("org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64"), e.getMessage());
        }
    }

    @Test
    void bundledLibraryLoadsAndExposesOpenMp() {
        OneDnnLibrary lib = OneDnnLibrary.load();
        assertTrue(lib.path().isAbsolute());
        assertTrue(lib.lookup().find("dnnl_version").isPresent());
        OpenMp omp = OpenMp.of(lib);
        assertTrue(omp.isAvailable());
        omp.setNumThreads(1);
        assertEquals(1, omp.maxThreads());
        omp.setNumThreads(2);
        assertEquals(2, omp.maxThreads());
    }
}
