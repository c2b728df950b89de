package io.moe4j.nativelib;

/** A native library could not be found, extracted or loaded; the message says what is missing and how to provide it. */
public final class NativeLibraryException extends RuntimeException {
    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
