package io.moe4j.models.layer;

import io.moe4j.models.format.FormatException;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Writes crafted layers to a temporary folder and opens or rejects them. */
abstract class LayerFileTesting {
    @TempDir
    Path dir;

    /** Opens a crafted layer; the caller closes it. */
    LayerFile open(LayerFileBuilder layer) throws IOException {
        return LayerFile.open(layer.write(dir.resolve("layer.safetensors")));
    }

    /** The layer must be rejected with a message naming the file and containing every fragment. */
    FormatException reject(LayerFileBuilder layer, String... fragments) throws IOException {
        Path file = layer.write(dir.resolve("bad.safetensors"));
        FormatException e = assertThrows(FormatException.class, () -> LayerFile.open(file).close());
        String message = e.getMessage();
        assertTrue(message.startsWith(file.toString()), message);
        assertTrue(e.file().equals(file), message);
        for (String f : fragments) assertTrue(message.contains(f), () -> "'" + f + "' not in: " + message);
        return e;
    }
}
