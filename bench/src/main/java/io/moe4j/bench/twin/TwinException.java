package io.moe4j.bench.twin;

/** The C twin could not be run, or did not finish with a result; the message says why (with the twin's stderr). */
public final class TwinException extends RuntimeException {
    public TwinException(String message) {
        super(message);
    }

    public TwinException(String message, Throwable cause) {
        super(message, cause);
    }
}
