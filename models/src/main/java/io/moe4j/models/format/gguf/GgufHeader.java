package io.moe4j.models.format.gguf;

import java.util.List;

/**
 * Everything in a GGUF file before the tensor bytes, parsed and validated: the version, the metadata, the tensor
 * table (file order) and where the data section starts ({@code dataStart}, a multiple of {@code alignment}) and how
 * long it is. Every tensor's range lies inside {@code [0, dataSize)} and no two overlap.
 */
record GgufHeader(int version, GgufMetadata metadata, List<GgufTensorInfo> tensors, long alignment,
                  long dataStart, long dataSize) {
    GgufHeader {
        tensors = List.copyOf(tensors);
    }
}
