package io.moe4j.engine.nn;

import io.moe4j.engine.backend.Backend;
import io.moe4j.engine.tensor.Tensor;

/**
 * A normalisation layer: RMSNorm (Mixtral) or LayerNorm without bias (DBRX), with an F32 weight {@code [D]}.
 */
public record Norm(Kind kind, Tensor weight, float eps) {
    public enum Kind { RMS, LAYER }

    public void apply(Backend backend, Tensor x, Tensor out) {
        if (kind == Kind.RMS) backend.rmsNorm(x, weight, eps, out);
        else backend.layerNorm(x, weight, eps, out);
    }
}
