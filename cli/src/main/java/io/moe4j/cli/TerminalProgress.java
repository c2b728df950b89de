package io.moe4j.cli;

import io.moe4j.bench.Progress;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on stderr, redrawn in place at most ten times a second. Only for terminals: the launcher
 * sets {@code MOE4J_STDERR_TTY=1} when stderr is one (the JVM cannot tell, since the launcher pipes stderr).
 */
final class TerminalProgress implements Progress {
    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final AtomicLong done = new AtomicLong();
    private volatile String label = "";
    private volatile long total = 1;
    private long lastDraw;

    private TerminalProgress(PrintWriter err) {
        this.err = err;
    }

    /** A bar when stderr is a terminal, otherwise nothing. */
    static Progress forStderr(PrintWriter err) {
        boolean tty = "1".equals(System.getenv("MOE4J_STDERR_TTY"));
        return tty ? new TerminalProgress(err) : Progress.NONE;
    }

    @Override
    public synchronized void start(String label, long total) {
        this.label = label;
        this.total = Math.max(1, total);
        done.set(0);
        lastDraw = 0;
        draw();
    }

    @Override
    public void advance(long units) {
        done.addAndGet(units);
        synchronized (this) {
            long now = System.nanoTime();
            if (now - lastDraw >= REDRAW_NANOS) draw();
        }
    }

    @Override
    public synchronized void finish() {
        err.print("\r\033[2K");
        err.flush();
    }

    private void draw() {
        lastDraw = System.nanoTime();
        double fraction = Math.min(1, (double) done.get() / total);
        int filled = (int) Math.round(fraction * WIDTH);
        err.print("\r\033[2K" + label + " [" + "#".repeat(filled) + "-".repeat(WIDTH - filled) + "] "
                + String.format(Locale.ROOT, "%3.0f%%", 100 * fraction));
        err.flush();
    }
}
