package io.moe4j.bench;

import io.moe4j.engine.nn.KvCache;
import io.moe4j.models.hf.Model;
import io.moe4j.models.hf.Session;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * End-to-end prefill and decode on a real checkpoint, like llama-bench's pp and tg: each repeat resets the
 * session, prefills {@code promptTokens} ids (timed), then decodes {@code decodeTokens} more one at a time (timed
 * together). Ids are a fixed pseudo-random walk over the vocabulary, not sampled, so runs are comparable. Before
 * the timed repeats, whole untimed repeats run until the JIT is quiet and a decode allocates nothing (at most
 * {@link #MODEL_WARMUP_NANOS}); the timed decodes then report the heap they allocated per token (median and
 * largest run).
 */
final class ModelRun {
    /**
     * Warm-up limit for a model: one pp + tg call takes seconds, and the JIT needs several of them (C2 compiles the
     * layer's callers only after the kernels) before a decode allocates nothing.
     */
    static final long MODEL_WARMUP_NANOS = 30_000_000_000L;

    private ModelRun() {}

    static ModelResult measure(Path directory, int threads, int promptTokens, int decodeTokens, int repeat,
                               Progress progress) throws IOException {
        if (promptTokens < 1) throw new IllegalArgumentException("--prompt-tokens: " + promptTokens + " is not positive");
        if (decodeTokens < 1) throw new IllegalArgumentException("--decode-tokens: " + decodeTokens + " is not positive");
        try (Model model = Model.open(directory, threads);
             Session session = model.newSession(promptTokens + decodeTokens)) {
            int vocab = model.config().vocab();
            int[] prompt = new int[promptTokens];
            for (int i = 0; i < promptTokens; i++) prompt[i] = id(i, vocab);
            progress.start("model " + directory.getFileName(), repeat);
            double[] prefill = new double[repeat];
            double[] decode = new double[repeat];
            model.warmUp();
            long[] appThreads = ProcessMemory.applicationThreads();
            long[] decodeHeap = new long[1];
            Warmup.run(() -> {
                session.reset();
                session.prefill(prompt, null);
                long before = ProcessMemory.allocatedHeapBytes(appThreads);
                for (int i = 0; i < decodeTokens; i++) session.next(id(promptTokens + i, vocab));
                decodeHeap[0] = ProcessMemory.allocatedHeapBytes(appThreads) - before;
            }, MODEL_WARMUP_NANOS, () -> decodeHeap[0] == 0);
            double[] heapPerToken = new double[repeat];
            for (int r = 0; r < repeat; r++) {
                session.reset();
                long start = System.nanoTime();
                session.prefill(prompt, null);
                long prefilled = System.nanoTime();
                long heapBefore = ProcessMemory.allocatedHeapBytes(appThreads);
                for (int i = 0; i < decodeTokens; i++) session.next(id(promptTokens + i, vocab));
                long end = System.nanoTime();
                heapPerToken[r] = (ProcessMemory.allocatedHeapBytes(appThreads) - heapBefore) / (double) decodeTokens;
                prefill[r] = (prefilled - start) / 1e6;
                decode[r] = (end - prefilled) / 1e6;
                progress.advance(1);
            }
            progress.finish();
            boolean counted = ProcessMemory.allocatedHeapBytes(appThreads) >= 0;
            ModelMemory memory = new ModelMemory(ProcessMemory.residentBytes(), weightBytes(model),
                    KvCache.bytes(model.transformer().layers(), session.context(), model.transformer().attention().kvHeads(),
                            model.transformer().attention().headDim()),
                    counted ? Timing.median(heapPerToken) : -1,
                    counted ? Arrays.stream(heapPerToken).max().orElseThrow() : -1);
            return new ModelResult(directory.toString(), weightType(model), promptTokens, new Timing(prefill),
                    decodeTokens, new Timing(decode), memory);
        }
    }

    /** A fixed walk over ids 3 … V−1 (0–2 are often special tokens). */
    private static int id(int position, int vocab) {
        return vocab <= 3 ? position % vocab : 3 + (int) ((position * 7919L) % (vocab - 3));
    }

    private static long weightBytes(Model model) {
        long bytes = 0;
        for (String name : model.checkpoint().names()) bytes += model.checkpoint().byteSize(name);
        return bytes;
    }

    /** The dtype that holds most of the checkpoint's bytes. */
    private static String weightType(Model model) {
        Map<String, Long> bytes = new TreeMap<>();
        for (String name : model.checkpoint().names()) {
            bytes.merge(model.checkpoint().type(name), model.checkpoint().byteSize(name), Long::sum);
        }
        return bytes.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().toLowerCase(Locale.ROOT)).orElse("?");
    }
}
