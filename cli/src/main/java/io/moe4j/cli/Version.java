package io.moe4j.cli;

import picocli.CommandLine.IVersionProvider;

/** The version printed by {@code moe4j --version}. */
final class Version implements IVersionProvider {
    static String project() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"moe4j " + project() + " on Java " + Runtime.version()};
    }
}
