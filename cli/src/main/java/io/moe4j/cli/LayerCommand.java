package io.moe4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.moe4j.engine.backend.cpu.CpuBackend;
import io.moe4j.engine.moe.MoeLayer;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.RoutingStats;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import io.moe4j.models.format.Npy;
import io.moe4j.models.layer.LayerFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code moe4j layer}: runs one MoE layer file on an input batch and writes the output and routing statistics. */
@Command(name = "layer", mixinStandardHelpOptions = true,
        description = "Run one MoE layer (a safetensors layer file) on a batch of tokens.")
final class LayerCommand implements Callable<Integer> {
    @Option(names = "--layer", required = true, paramLabel = "FILE.safetensors", description = "The layer file.")
    Path layer;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "float32 [T, D] (a [D] vector is one token).")
    Path input;

    @Option(names = "--tokens", paramLabel = "IDS.npy", description = "int32 or int64 [T] token ids (needed by the hash router).")
    Path tokens;

    @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "Where to write float32 [T, D].")
    Path output;

    @Option(names = "--stats", paramLabel = "STATS.json", description = "Where to write the routing statistics.")
    Path stats;

    @Option(names = "--threads", description = "Threads for oneDNN and our kernels (default: all cores).")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        int n = Threads.resolve(threads);
        try (Arena arena = Arena.ofShared();
             LayerFile file = LayerFile.open(layer);
             CpuBackend backend = CpuBackend.create(n);
             MoeLayer moe = MoeLayer.create(backend, file.config(), file.weights())) {
            Tensor x = readInput(arena, moe.modelSize());
            Tensor ids = tokens == null ? null : TokenIds.read(tokens, arena, x.dim(0));
            if (ids == null && file.config().router() == RouterKind.HASH) {
                throw new IllegalArgumentException("the hash router of " + layer + " needs token ids: pass --tokens IDS.npy");
            }
            Tensor y = Tensor.allocate(arena, DType.F32, x.dim(0), x.dim(1));
            RoutingStats routing = new RoutingStats(file.config().numExperts());
            moe.forward(x, ids, y, routing);
            Npy.write(output, y);
            if (stats != null) writeStats(routing);
        }
        return 0;
    }

    private Tensor readInput(Arena arena, long d) throws IOException {
        Tensor x = Npy.read(input, arena);
        if (x.dtype() != DType.F32) throw new IllegalArgumentException(input + " must hold float32, got " + x.dtype());
        if (x.rank() == 1) x = x.reshape(1, x.dim(0));
        if (x.rank() != 2 || x.dim(1) != d) {
            throw new IllegalArgumentException(input + " must be [T, " + d + "] (or [" + d + "]) for this layer, got "
                    + java.util.Arrays.toString(x.shape()));
        }
        return x;
    }

    private void writeStats(RoutingStats routing) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        var load = root.putArray("expert_load");
        for (int e = 0; e < routing.numExperts(); e++) load.add(routing.expertLoad(e));
        root.put("dropped", routing.dropped());
        if (routing.hasRouterLosses()) {
            root.put("aux_loss", routing.auxLoss());
            root.put("z_loss", routing.zLoss());
            root.put("entropy", routing.entropy());
        }
        json.writeValue(stats.toFile(), root);
    }
}
