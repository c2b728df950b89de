package io.moe4j.engine.backend.cpu;

/** A oneDNN call returned an error status; the message names the call and the status. */
public final class OneDnnException extends RuntimeException {
    private final int status;

    public OneDnnException(String call, int status, String statusName) {
        super(call + " failed: " + statusName + " (" + status + ")");
        this.status = status;
    }

    public int status() { return status; }
}
