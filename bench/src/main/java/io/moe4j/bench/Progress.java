package io.moe4j.bench;

/**
 * Reports long-running work (weight generation, repeated runs). Implementations must tolerate {@link #advance}
 * from several threads.
 */
public interface Progress {
    Progress NONE = new Progress() {
        @Override public void start(String label, long total) {}
        @Override public void advance(long done) {}
        @Override public void finish() {}
    };

    /** A new task of {@code total} units. */
    void start(String label, long total);

    /** {@code done} more units finished. */
    void advance(long done);

    /** The current task is over (clears the bar). */
    void finish();
}
