package io.moe4j.cli;

import io.moe4j.engine.backend.check.MatmulSelfCheck;
import io.moe4j.engine.backend.cpu.CpuBackend;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code moe4j info}: what the engine runs on, and a self-check of every matmul path. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Versions, CPU features, threads, and a self-check of every matmul path against a Java reference.")
final class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--threads", description = "Threads for oneDNN and our kernels (default: all cores).")
    Integer threads;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        int n = Threads.resolve(threads);
        try (CpuBackend backend = CpuBackend.create(n)) {
            out.printf("moe4j          %s%n", Version.project());
            out.printf("java           %s (%s)%n", Runtime.version(), System.getProperty("java.vm.vendor"));
            out.printf("oneDNN         %s%n", backend.oneDnn().version());
            out.printf("oneDNN library %s%s%n", backend.oneDnn().library().path(),
                    backend.oneDnn().library().isBundled() ? " (bundled)" : "");
            out.printf("ISA            %s (what oneDNN dispatches to)%n", backend.oneDnn().effectiveIsa());
            out.printf("cores          %d%n", Runtime.getRuntime().availableProcessors());
            out.printf("threads        %d (oneDNN OpenMP and moe4j kernels)%n", backend.threads());
            out.printf("vector API     %d-bit float vectors (%d lanes)%n",
                    FloatVector.SPECIES_PREFERRED.vectorBitSize(), FloatVector.SPECIES_PREFERRED.length());
            out.printf("f32 matmul     %s at M=1, %s at M=64%n",
                    backend.matmulImplementation(1, 384, 1024), backend.matmulImplementation(64, 384, 1024));
            out.println();
            out.println("self-check: y = x · wᵀ against a double-precision Java reference (tolerance "
                    + MatmulSelfCheck.TOLERANCE + " of Σ|x·w|)");
            out.printf("  %-6s %4s %5s %5s %12s%n", "w", "M", "N", "K", "max error");
            List<MatmulSelfCheck.Result> results = MatmulSelfCheck.run(backend);
            boolean ok = true;
            for (MatmulSelfCheck.Result r : results) {
                out.printf("  %-6s %4d %5d %5d %12.2e  %s%n", r.weights().name().toLowerCase(), r.m(), r.n(), r.k(),
                        r.maxRelativeError(), r.passed() ? "ok" : "FAILED");
                ok &= r.passed();
            }
            out.println(ok ? "self-check passed" : "self-check FAILED");
            out.flush();
            return ok ? 0 : 1;
        }
    }
}
