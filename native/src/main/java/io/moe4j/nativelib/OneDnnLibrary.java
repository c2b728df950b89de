package io.moe4j.nativelib;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds and loads oneDNN once per JVM.
 *
 * <p>Where the library comes from, in order: the system property {@value #PATH_PROPERTY} or the environment
 * variable {@value #PATH_ENV} (an absolute path to a {@code libdnnl.so}); else the copy bundled in the
 * {@code org.bytedeco:dnnl} artifact for {@code linux-x86_64}, extracted once into the user's cache folder.
 * The bundled {@code libdnnl.so.3} finds {@code libgomp.so.1} beside it through its {@code $ORIGIN} RUNPATH.
 *
 * <p>OpenMP reads its settings when libgomp is loaded, so before loading we set {@code OMP_WAIT_POLICY=PASSIVE}
 * (unless the user chose one): idle OpenMP threads then sleep instead of spinning on the cores our own Java
 * kernels are about to use.
 */
public final class OneDnnLibrary {
    public static final String PATH_PROPERTY = "moe4j.dnnl.library";
    public static final String PATH_ENV = "MOE4J_DNNL_LIBRARY";
    static final String BUNDLED_PLATFORM = "linux-x86_64";
    static final String RESOURCE_DIR = "org/bytedeco/dnnl/" + BUNDLED_PLATFORM;
    static final List<String> BUNDLED_FILES = List.of("libdnnl.so.3", "libgomp.so.1");

    private static volatile OneDnnLibrary loaded;

    private final Path path;
    private final SymbolLookup lookup;
    private final boolean bundled;

    private OneDnnLibrary(Path path, SymbolLookup lookup, boolean bundled) {
        this.path = path;
        this.lookup = lookup;
        this.bundled = bundled;
    }

    /** Loads oneDNN on first use; later calls return the same library. */
    public static OneDnnLibrary load() {
        OneDnnLibrary lib = loaded;
        if (lib != null) return lib;
        synchronized (OneDnnLibrary.class) {
            if (loaded == null) loaded = locateAndLoad();
            return loaded;
        }
    }

    /** The absolute path of the loaded {@code libdnnl}. */
    public Path path() { return path; }

    /** Whether this is the copy bundled with moe4j rather than one the user pointed to. */
    public boolean isBundled() { return bundled; }

    /** Symbols of libdnnl and of the libraries it depends on (libgomp among them). */
    public SymbolLookup lookup() { return lookup; }

    private static OneDnnLibrary locateAndLoad() {
        String configured = firstNonBlank(System.getProperty(PATH_PROPERTY), System.getenv(PATH_ENV));
        Path path = resolve(configured, Platform.current(), OneDnnLibrary.class.getClassLoader(),
                new BundledLibraries(BundledLibraries.defaultCacheRoot()));
        boolean bundled = configured == null;
        setEnvIfUnset("OMP_WAIT_POLICY", "PASSIVE");
        try {
            // System.load makes the symbols visible to the generated bindings (they resolve through the
            // class loader's lookup); libraryLookup gives us a handle for the symbols of its dependencies.
            System.load(path.toString());
            SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
            return new OneDnnLibrary(path, lookup, bundled);
        } catch (UnsatisfiedLinkError | IllegalArgumentException e) {
            throw new NativeLibraryException("cannot load oneDNN from " + path + ": " + e.getMessage()
                    + (bundled ? "" : " (check " + PATH_PROPERTY + " / " + PATH_ENV + ")"), e);
        }
    }

    /** The libdnnl to load: the configured path when given, else the bundled copy for this platform. */
    static Path resolve(String configured, Platform platform, ClassLoader loader, BundledLibraries cache) {
        if (configured != null) {
            Path path = Path.of(configured).toAbsolutePath();
            if (!Files.isRegularFile(path)) {
                throw new NativeLibraryException("oneDNN library " + path + " (from " + PATH_PROPERTY + " / " + PATH_ENV
                        + ") does not exist or is not a file");
            }
            return path;
        }
        if (!platform.toString().equals(BUNDLED_PLATFORM)) {
            throw new NativeLibraryException("moe4j bundles oneDNN only for " + BUNDLED_PLATFORM + ", and this is "
                    + platform + ": install oneDNN 3.x for this platform and pass its libdnnl path with -D"
                    + PATH_PROPERTY + "=/path/to/libdnnl.so or the environment variable " + PATH_ENV);
        }
        if (loader.getResource(RESOURCE_DIR + "/" + BUNDLED_FILES.getFirst()) == null) {
            throw new NativeLibraryException("the oneDNN natives (" + RESOURCE_DIR + "/" + BUNDLED_FILES.getFirst()
                    + ") are not on the class path: add org.bytedeco:dnnl:3.13-1.5.14:linux-x86_64, or pass an installed"
                    + " libdnnl with -D" + PATH_PROPERTY + "=/path/to/libdnnl.so or " + PATH_ENV);
        }
        return cache.extract(loader, RESOURCE_DIR, BUNDLED_FILES).resolve(BUNDLED_FILES.getFirst());
    }

    private static void setEnvIfUnset(String name, String value) {
        if (System.getenv(name) != null) return;
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> setenv = linker.defaultLookup().find("setenv");
        if (setenv.isEmpty()) return;
        MethodHandle handle = linker.downcallHandle(setenv.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int ignored = (int) handle.invokeExact(arena.allocateFrom(name), arena.allocateFrom(value), 0);
        } catch (Throwable t) {
            throw new NativeLibraryException("setenv(" + name + ") failed", t);
        }
    }

    private static String firstNonBlank(String a, String b) {
        if (a != null && !a.isBlank()) return a;
        if (b != null && !b.isBlank()) return b;
        return null;
    }
}
