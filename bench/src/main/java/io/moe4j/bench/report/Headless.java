package io.moe4j.bench.report;

/** The report draws into images, never onto a screen. */
final class Headless {
    private Headless() {}

    /**
     * Asks AWT for headless mode unless the user chose otherwise: on a machine without a display (servers, CI)
     * AWT would otherwise try to reach one. It must run before the first AWT class looks at the property.
     */
    static void ensure() {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }
}
