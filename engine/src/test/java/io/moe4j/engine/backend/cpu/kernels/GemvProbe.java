package io.moe4j.engine.backend.cpu.kernels;

import io.moe4j.engine.backend.cpu.ParallelTask;
import io.moe4j.engine.backend.cpu.WorkerPool;
import io.moe4j.engine.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Scratch benchmark (not a test): GEMV throughput against plain read bandwidth, with a working set far larger
 * than the last-level cache (several weight matrices used in rotation).
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
 *     -cp engine/target-gemv/classes:engine/target-gemv/test-classes io.moe4j.engine.backend.cpu.kernels.GemvProbe
 * </pre>
 * System properties: {@code reps} (20), {@code threads} (available processors), {@code m} (comma list of M,
 * default 1), {@code types} (default {@code f32,bf16,f16}), {@code shapes} (default {@code 4096x14336,14336x4096},
 * K x N), {@code chunkKiB} (weight KiB per GemvTask chunk).
 */
public final class GemvProbe {
    private static final long ELEMS = 4096L * 14336; // elements of one weight matrix
    private static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    public static void main(String[] args) throws Exception {
        int reps = Integer.getInteger("reps", 20);
        int threads = Integer.getInteger("threads", Runtime.getRuntime().availableProcessors());
        int[] ms = Arrays.stream(System.getProperty("m", "1").split(",")).mapToInt(Integer::parseInt).toArray();
        GemvTask.chunkBytes = 1024 * Long.getLong("chunkKiB", GemvTask.chunkBytes / 1024);
        java.util.Set<String> types = java.util.Set.of(System.getProperty("types", "f32,bf16,f16").split(","));
        int[][] shapes = Arrays.stream(System.getProperty("shapes", "4096x14336,14336x4096").split(","))
                .map(t -> Arrays.stream(t.split("x")).mapToInt(Integer::parseInt).toArray()).toArray(int[][]::new);
        int rot16 = 8, rot32 = 4; // 8 × 117 MB of 16-bit weights, 4 × 235 MB of f32 weights
        System.out.printf("threads %d, reps %d, chunk %d KiB, load %s%n", threads, reps,
                GemvTask.chunkBytes / 1024, loadAverage());

        try (Arena arena = Arena.ofShared(); WorkerPool pool = new WorkerPool(threads)) {
            MemorySegment bf16 = arena.allocate(rot16 * ELEMS * 2, 4096);
            MemorySegment f16 = arena.allocate(rot16 * ELEMS * 2, 4096);
            MemorySegment f32 = arena.allocate(rot32 * ELEMS * 4, 4096);
            fill(pool, bf16, f16, f32);
            MemorySegment x = arena.allocate(8L * 14336 * 4, 64);
            for (long i = 0; i < x.byteSize() / 4; i++) x.set(F, 4 * i, (float) Math.sin(i));
            MemorySegment y = arena.allocate(8L * 14336 * 4, 64);
            ReadTask read = new ReadTask(arena, f32);
            GemvTask task = new GemvTask();

            for (int m : ms) {
                for (int[] kn : shapes) {
                    int k = kn[0], n = kn[1];
                    double[] tRead = new double[reps], tRead4 = new double[reps];
                    double[] tF32 = new double[reps], tBf16 = new double[reps], tF16 = new double[reps];
                    for (int r = -3; r < reps; r++) { // 3 warm-up rounds; no matrix is read twice in a row
                        int i = Math.max(r, 0), a = r + 3;
                        tRead[i] = read.time(pool, a % rot32, 1);
                        tRead4[i] = read.time(pool, (a + 1) % rot32, 4);
                        if (types.contains("f32")) {
                            tF32[i] = time(task, pool, DType.F32, x, m, f32.asSlice((a + 2) % rot32 * ELEMS * 4, ELEMS * 4), n, k, y);
                        }
                        if (types.contains("bf16")) {
                            tBf16[i] = time(task, pool, DType.BF16, x, m, bf16.asSlice(a % rot16 * ELEMS * 2, ELEMS * 2), n, k, y);
                        }
                        if (types.contains("f16")) {
                            tF16[i] = time(task, pool, DType.F16, x, m, f16.asSlice(a % rot16 * ELEMS * 2, ELEMS * 2), n, k, y);
                        }
                    }
                    double read1 = gbs(ELEMS * 4, median(tRead)), read4 = gbs(ELEMS * 4, median(tRead4));
                    double read32 = Math.max(read1, read4); // the reference: the better of the two read kernels
                    double g32 = gbs(ELEMS * 4, median(tF32)), gbf = gbs(ELEMS * 2, median(tBf16)), gf16 = gbs(ELEMS * 2, median(tF16));
                    System.out.printf("M=%d K=%5d N=%5d | read %5.1f GB/s (1 stream %4.1f, 4 streams %4.1f) | f32 %5.1f GB/s (%3.0f%%, %6.2f ms)"
                                    + " | bf16 %5.1f GB/s (%3.0f%%, %5.2f ms, %.2fx f32) | f16 %5.1f GB/s (%3.0f%%, %5.2f ms, %.2fx f32)%n",
                            m, k, n, read32, read1, read4, g32, 100 * g32 / read32, median(tF32) * 1e3,
                            gbf, 100 * gbf / read32, median(tBf16) * 1e3, median(tF32) / median(tBf16),
                            gf16, 100 * gf16 / read32, median(tF16) * 1e3, median(tF32) / median(tF16));
                    System.out.printf("        best of %d:  read %5.1f / %5.1f GB/s | f32 %5.1f GB/s | bf16 %5.1f GB/s | f16 %5.1f GB/s%n",
                            reps, gbs(ELEMS * 4, min(tRead)), gbs(ELEMS * 4, min(tRead4)), gbs(ELEMS * 4, min(tF32)),
                            gbs(ELEMS * 2, min(tBf16)), gbs(ELEMS * 2, min(tF16)));
                }
            }
            System.out.printf("load %s, checksum %s%n", loadAverage(), read.checksum());
        }
    }

    private static double time(GemvTask task, WorkerPool pool, DType t, MemorySegment x, int m, MemorySegment w,
                               int n, int k, MemorySegment y) {
        long t0 = System.nanoTime();
        task.set(t, x, 0, m, k, w, 0, n, k, y, 0, n).execute(pool);
        return (System.nanoTime() - t0) * 1e-9;
    }

    private static double gbs(long bytes, double seconds) {
        return bytes / seconds * 1e-9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "?";
        }
    }

    /** Fills the weights with small normal numbers (no subnormals, no NaNs), in parallel. */
    private static void fill(WorkerPool pool, MemorySegment bf16, MemorySegment f16, MemorySegment f32) {
        long block = 1 << 20;
        int chunks16 = (int) (bf16.byteSize() / 2 / block), chunks32 = (int) (f32.byteSize() / 4 / block);
        pool.run(c -> {
            long seed = 0x9E3779B97F4A7C15L * (c + 1);
            for (long i = c * block, end = i + block; i < end; i++) {
                seed ^= seed << 13; seed ^= seed >>> 7; seed ^= seed << 17;
                float v = (float) ((seed >>> 40) * 0x1p-24 - 0.5) * 0.1f;
                bf16.set(S, 2 * i, (short) (Float.floatToRawIntBits(v) >>> 16));
                f16.set(S, 2 * i, Float.floatToFloat16(v));
            }
        }, chunks16);
        pool.run(c -> {
            long seed = 0xD1B54A32D192ED03L * (c + 1);
            for (long i = c * block, end = i + block; i < end; i++) {
                seed ^= seed << 13; seed ^= seed >>> 7; seed ^= seed << 17;
                f32.set(F, 4 * i, (float) ((seed >>> 40) * 0x1p-24 - 0.5) * 0.1f);
            }
        }, chunks32);
    }

    /** Plain read bandwidth: the sum of one f32 matrix with FloatVector, split over the pool. */
    private static final class ReadTask implements ParallelTask {
        private static final long CHUNK = 1 << 20; // bytes
        private final MemorySegment all;
        private final MemorySegment partial;
        private MemorySegment data;
        private int streams = 1;
        private double checksum;

        ReadTask(Arena arena, MemorySegment all) {
            this.all = all;
            this.partial = arena.allocate(ELEMS * 4 / CHUNK * 4 + 64, 64);
        }

        /** Reads one f32 matrix; each chunk as {@code streams} interleaved streams (1: plain sequential). */
        double time(WorkerPool pool, int matrix, int streams) {
            this.streams = streams;
            data = all.asSlice(matrix * ELEMS * 4, ELEMS * 4);
            int chunks = (int) (data.byteSize() / CHUNK);
            long t0 = System.nanoTime();
            pool.run(this, chunks);
            double t = (System.nanoTime() - t0) * 1e-9;
            for (int c = 0; c < chunks; c++) checksum += partial.getAtIndex(F, c);
            return t;
        }

        double checksum() {
            return checksum;
        }

        @Override
        public void run(int chunk) {
            FloatVector a = FloatVector.zero(Gemv.F), b = a, c = a, d = a;
            long base = chunk * CHUNK;
            if (streams == 1) {
                for (long o = base, end = base + CHUNK; o < end; o += 128) {
                    a = a.add(FloatVector.fromMemorySegment(Gemv.F, data, o, ByteOrder.LITTLE_ENDIAN));
                    b = b.add(FloatVector.fromMemorySegment(Gemv.F, data, o + 32, ByteOrder.LITTLE_ENDIAN));
                    c = c.add(FloatVector.fromMemorySegment(Gemv.F, data, o + 64, ByteOrder.LITTLE_ENDIAN));
                    d = d.add(FloatVector.fromMemorySegment(Gemv.F, data, o + 96, ByteOrder.LITTLE_ENDIAN));
                }
            } else { // 4 streams, a quarter of the chunk apart, like the GEMV's 4 weight rows
                long q = CHUNK / 4;
                for (long o = base, end = base + q; o < end; o += 32) {
                    a = a.add(FloatVector.fromMemorySegment(Gemv.F, data, o, ByteOrder.LITTLE_ENDIAN));
                    b = b.add(FloatVector.fromMemorySegment(Gemv.F, data, o + q, ByteOrder.LITTLE_ENDIAN));
                    c = c.add(FloatVector.fromMemorySegment(Gemv.F, data, o + 2 * q, ByteOrder.LITTLE_ENDIAN));
                    d = d.add(FloatVector.fromMemorySegment(Gemv.F, data, o + 3 * q, ByteOrder.LITTLE_ENDIAN));
                }
            }
            partial.setAtIndex(F, chunk, a.add(b).add(c.add(d)).reduceLanes(VectorOperators.ADD));
        }
    }
}
