package io.moe4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** Entry point of the {@code moe4j} command. */
@Command(name = "moe4j",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Mixture-of-Experts inference on the JVM.",
        subcommands = {InfoCommand.class, LayerCommand.class, LogitsCommand.class, GenerateCommand.class, InspectCommand.class,
                BenchCommand.class, QuantizeCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; the exit code is 0 on success, 1 for a failed run, 2 for bad usage. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("moe4j " + commandLine.getCommandName() + ": " + ErrorMessages.oneLine(e));
            if (Boolean.getBoolean("moe4j.debug")) e.printStackTrace(commandLine.getErr());
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
