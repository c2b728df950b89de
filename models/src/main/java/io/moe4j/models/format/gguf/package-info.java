/**
 * GGUF, llama.cpp's model file: {@link io.moe4j.models.format.gguf.GgufFile} reads it (versions 2 and 3,
 * little-endian) as zero-copy tensor views of one read-only mapping, {@link io.moe4j.models.format.gguf.GgufWriter}
 * writes version 3.
 *
 * <h2>Layout</h2>
 * <pre>
 * "GGUF" | u32 version | u64 tensor_count | u64 metadata_count
 * metadata_count × ( string key | u32 value_type | value )          value: scalar, string, or
 *                                                                    u32 element_type | u64 n | n values
 * tensor_count × ( string name | u32 n_dims | n_dims × u64 ne | u32 ggml_type | u64 offset )
 * padding to general.alignment (default 32)
 * data section: each tensor at data_start + offset, offsets multiples of the alignment
 * </pre>
 * Strings are a u64 byte length and UTF-8. {@code ne[0]} is the contiguous dimension; our shapes are {@code ne}
 * reversed ({@link io.moe4j.models.format.gguf.GgufTensorInfo}).
 *
 * <h2>Why the checks are where they are</h2>
 * A GGUF file is untrusted input: people download them from anywhere, and llama.cpp has shipped CVEs from exactly
 * this parser (counts and sizes trusted, then multiplied or allocated). So:
 * <ul>
 *   <li>Everything is checked while {@link io.moe4j.models.format.gguf.GgufFile#open} reads the header, before a
 *       single tensor is handed out: afterwards a view can never reach outside the file or into another tensor,
 *       and {@code tensor(name)} fails only for a missing name, an unsupported type, or a closed file.</li>
 *   <li>Every length and count is compared with the bytes that remain in the file <em>before</em> anything is
 *       read or allocated for it: n elements need at least n × (the element type's smallest encoding) bytes, so
 *       the number of objects the reader creates is bounded by the file's size, not by a number the file states.
 *       Decoded metadata also has a fixed heap budget, so even a huge file cannot turn into an
 *       {@link java.lang.OutOfMemoryError}. Reads go through one bounds-checked cursor, so a truncated file is an
 *       error naming the field and offset, never an {@link java.lang.IndexOutOfBoundsException}.</li>
 *   <li>Arithmetic on file values is overflow-checked where it happens (element counts, byte sizes, offset plus
 *       size) and u64 values of 2^63 or more, which Java reads as negative, are rejected as such.</li>
 *   <li>Limits the specification sets are enforced (keys ≤ 65535 bytes, tensor names ≤ 64, at most 4
 *       dimensions, bools 0 or 1, alignment a power of two); nesting of arrays is bounded so recursion stays
 *       shallow; strings must be valid UTF-8; keys and tensor names must be unique; tensors must not overlap.</li>
 *   <li>Unknown ggml type ids are rejected at open (without a block geometry a tensor's extent is unknown), but
 *       known types the engine does not compute with (Q4_1, IQ2_XS, …) are accepted there and refused only when
 *       such a tensor is asked for, so the rest of the file stays usable.</li>
 * </ul>
 * Every violation is a {@link io.moe4j.models.format.FormatException} whose message starts with the file and
 * names the field, e.g. {@code tensor 'blk.0.ffn_up.weight': offset 123 is not aligned to 32}. The reader is
 * fuzzed with Jazzer ({@code GgufFuzzTest}; {@code scripts/fuzz-gguf.sh} for long runs) against exactly this
 * contract.
 */
package io.moe4j.models.format.gguf;
