package io.moe4j.models.format;

import java.nio.file.Path;

/**
 * A file's contents break its format's rules (safetensors, npy, a checkpoint index). The message always
 * starts with the file, so a user can tell which of many shards or fixtures is bad.
 *
 * <p>Unchecked: a malformed model file is not something a caller can recover from locally, and plain
 * {@link java.io.IOException}s (file missing, unreadable) stay separate so the two are not confused.
 */
public class FormatException extends RuntimeException {
    private final transient Path file;

    public FormatException(Path file, String detail) {
        super(file + ": " + detail);
        this.file = file;
    }

    public FormatException(Path file, String detail, Throwable cause) {
        super(file + ": " + detail, cause);
        this.file = file;
    }

    /** The file at fault. */
    public Path file() { return file; }
}
