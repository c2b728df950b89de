package io.moe4j.e2e;

import io.moe4j.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of the {@code moe4j} command line: exit code, standard output and standard error. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
