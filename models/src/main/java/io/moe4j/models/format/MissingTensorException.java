package io.moe4j.models.format;

import java.nio.file.Path;

/**
 * A tensor was asked for by name and the file or checkpoint has none by that name. A subtype of
 * {@link FormatException} because to a model loader a missing weight means the checkpoint does not match
 * the architecture; callers probing optional weights should use {@code contains} instead of catching this.
 */
public class MissingTensorException extends FormatException {
    private final String tensor;

    public MissingTensorException(Path file, String tensor) {
        super(file, "no tensor named '" + tensor + "'");
        this.tensor = tensor;
    }

    /** The name that was asked for. */
    public String tensor() { return tensor; }
}
