package io.moe4j.models.tokenizer;

import io.moe4j.models.format.FormatException;

import java.nio.file.Path;

/**
 * A {@code tokenizer.json} uses a component (model, normalizer, pre-tokenizer, post-processor, decoder) of a
 * type, or a setting, that moe4j does not implement. The message names the file, where in it, and the type.
 */
public final class UnsupportedComponentException extends FormatException {
    private final String component;

    UnsupportedComponentException(Path file, String where, String component, String detail) {
        super(file, "unsupported " + where + " " + component + ": " + detail);
        this.component = component;
    }

    /** The unsupported type or setting as the file writes it, e.g. {@code "WordPiece"}. */
    public String component() { return component; }
}
