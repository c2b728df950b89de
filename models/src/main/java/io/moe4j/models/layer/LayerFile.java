package io.moe4j.models.layer;

import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.MoeWeights;
import io.moe4j.models.format.FormatException;
import io.moe4j.models.format.SafeTensors;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One MoE layer stored as a safetensors file (contract {@code moe-semantics.md}, "The layer file"): the
 * settings as {@code moe.*} strings in {@code __metadata__}, the tensors under the contract's names.
 *
 * <p>{@link #open} validates everything up front (see {@link LayerSettings} for the keys and their defaults,
 * {@link LayerTensors} for the tensors), so a layer that opens can run. The file stays memory-mapped: the
 * tensors of {@link #weights()} are zero-copy views into it and become unreadable after {@link #close()}.
 */
public final class LayerFile implements AutoCloseable {
    private final SafeTensors file;
    private final MoeConfig config;
    private final MoeWeights weights;

    private LayerFile(SafeTensors file, MoeConfig config, MoeWeights weights) {
        this.file = file;
        this.config = config;
        this.weights = weights;
    }

    /**
     * Maps and validates a layer file.
     *
     * @throws IOException     if the file cannot be read
     * @throws FormatException if it is not a valid layer file; the message names the file and the metadata
     *                         key or tensor at fault
     */
    public static LayerFile open(Path path) throws IOException {
        SafeTensors st = SafeTensors.open(path);
        try {
            LayerNames names = LayerNames.scan(path, st.names());
            long phiRows = st.contains("soft.phi") && st.info("soft.phi").shape().length > 0 ? st.info("soft.phi").shape()[0] : -1;
            MoeConfig config = LayerSettings.parse(path, st.metadata(), names, phiRows);
            MoeWeights weights = LayerTensors.load(st, config, names);
            return new LayerFile(st, config, weights);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /** The layer's settings. */
    public MoeConfig config() { return config; }

    /** The layer's tensors: views into the mapped file, valid until {@link #close()}. */
    public MoeWeights weights() { return weights; }

    /** The file as given to {@link #open}. */
    public Path path() { return file.path(); }

    /** Unmaps the file; idempotent. The tensors of {@link #weights()} then throw when read. */
    @Override
    public void close() {
        file.close();
    }

    @Override
    public String toString() {
        return "LayerFile[" + path() + ", " + config.router().key() + ", E=" + config.numExperts() + ", k="
                + config.topK() + ", D=" + weights.modelSize() + "]";
    }
}
