package io.moe4j.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor row(float... logits) {
        return Tensor.ofFloats(arena, logits, logits.length);
    }

    private static float[] randomLogits(long seed, int v, float scale) {
        Random r = new Random(seed);
        float[] x = new float[v];
        for (int i = 0; i < v; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    private static float[] logitsOf(double... probabilities) {
        float[] x = new float[probabilities.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.log(probabilities[i]);
        return x;
    }

    /** softmax(logits / t) in float64. */
    private static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / t);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }

    private static int[] histogram(Sampler sampler, Tensor logits, int draws) {
        int[] counts = new int[(int) logits.dim(-1)];
        for (int i = 0; i < draws; i++) counts[sampler.sample(logits)]++;
        return counts;
    }

    /**
     * Pearson's chi-square of the counts against {@code expected}, asserting it stays below a bound that a correct
     * sampler exceeds with probability well under 1e-6, and every count within 5 standard errors.
     */
    private static void assertMatches(double[] expected, int[] counts, int draws, String what) {
        double chi2 = 0;
        int dof = -1;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i] * draws;
            if (expected[i] == 0) {
                assertEquals(0, counts[i], what + ": token " + i + " has probability 0");
                continue;
            }
            dof++;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
            double se = Math.sqrt(draws * expected[i] * (1 - expected[i]));
            assertTrue(Math.abs(counts[i] - e) <= 5 * se + 1, what + ": token " + i + " drawn " + counts[i]
                    + " times, expected " + e + " ± " + se);
        }
        // Chi-square upper tail: mean dof, sd sqrt(2 dof); dof + 10 sqrt(2 dof) + 20 is far beyond p = 1e-6.
        double bound = dof + 10 * Math.sqrt(2.0 * dof) + 20;
        assertTrue(chi2 < bound, what + ": chi-square " + chi2 + " with " + dof + " dof, bound " + bound
                + "; counts " + Arrays.toString(counts));
    }

    // ---- greedy ----

    @Test
    void greedyIsTheArgmax() {
        Sampler greedy = new Sampler();
        for (long seed = 0; seed < 20; seed++) {
            float[] x = randomLogits(seed, 1000, 3f);
            int expected = 0;
            for (int i = 1; i < x.length; i++) if (x[i] > x[expected]) expected = i;
            assertEquals(expected, greedy.sample(row(x)));
        }
        assertEquals(0, greedy.draws(), "greedy draws no random numbers");
    }

    @Test
    void greedyTiesGoToTheLowerId() {
        Sampler greedy = new Sampler();
        assertEquals(1, greedy.sample(row(1f, 5f, 5f, 2f, 5f)));
        assertEquals(0, greedy.sample(row(3f, 3f, 3f)));
        assertEquals(0, greedy.sample(row(Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY)));
        assertEquals(2, greedy.sample(row(1f, 2f, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY)));
        assertEquals(0, greedy.sample(row(-0f, 0f)), "-0 and +0 compare equal");
    }

    @Test
    void greedyTreatsNaNAsNegativeInfinity() {
        Sampler greedy = new Sampler();
        assertEquals(3, greedy.sample(row(Float.NaN, 1f, Float.NaN, 3f, Float.NaN)));
        assertEquals(1, greedy.sample(row(Float.NaN, -1e30f, Float.NaN)));
        assertEquals(1, greedy.sample(row(Float.NaN, Float.NEGATIVE_INFINITY)), "a NaN is never chosen");
        var e = assertThrows(IllegalStateException.class, () -> greedy.sample(row(Float.NaN, Float.NaN, Float.NaN)));
        assertEquals("cannot pick a token: all 3 logits are NaN", e.getMessage());
    }

    @Test
    void readsARowOfABatch() {
        int t = 3, v = 50;
        float[] all = new float[t * v];
        for (int i = 0; i < all.length; i++) all[i] = (float) Math.sin(i * 0.37);
        all[0 * v + 7] = 9f;
        all[1 * v + 49] = 9f;
        all[2 * v] = 9f;
        Tensor batch = Tensor.ofFloats(arena, all, t, v);
        Sampler greedy = new Sampler();
        assertEquals(7, greedy.sample(batch.row(0)));
        assertEquals(49, greedy.sample(batch.row(1)));
        assertEquals(0, greedy.sample(batch.row(2)));
        assertEquals(49, greedy.sample(batch.slice(0, 1, 2)), "a [1, V] tensor is one row");
        // Sampling reads the same row: with top-k 1 it is the argmax.
        Sampler top1 = new Sampler(new SamplingSettings(1f, 1, 1f, 3));
        assertEquals(49, top1.sample(batch.row(1)));
    }

    @Test
    void rejectsWhatIsNotAContiguousF32Row() {
        Sampler s = new Sampler();
        Tensor batch = Tensor.allocate(arena, DType.F32, 2, 3);
        var e = assertThrows(IllegalArgumentException.class, () -> s.sample(batch));
        assertTrue(e.getMessage().startsWith("logits must be one row [V]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.sample(Tensor.allocate(arena, DType.F16, 8)));
        assertEquals("logits must be F32, got F16", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.sample(batch.transpose(0, 1).row(0)));
        assertTrue(e.getMessage().startsWith("logits must be a contiguous row"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> s.sample(Tensor.allocate(arena, DType.F32, 0)));
        assertTrue(e.getMessage().startsWith("logits row is empty"), e.getMessage());
    }

    // ---- temperature ----

    @Test
    void temperatureScalesTheDistribution() {
        float[] x = {1.0f, 0.5f, 0f, -0.5f, 2.0f, -3f};
        Tensor logits = row(x);
        int draws = 200_000;
        double[] maxShare = new double[3];
        float[] temperatures = {0.5f, 1f, 2.5f};
        for (int t = 0; t < temperatures.length; t++) {
            Sampler s = new Sampler(SamplingSettings.temperature(temperatures[t], 1234 + t));
            int[] counts = histogram(s, logits, draws);
            assertMatches(softmax(x, temperatures[t]), counts, draws, "T=" + temperatures[t]);
            maxShare[t] = counts[4] / (double) draws;
            assertEquals(draws, s.draws());
        }
        assertTrue(maxShare[0] > maxShare[1] && maxShare[1] > maxShare[2], "a hotter temperature flattens: "
                + Arrays.toString(maxShare));
    }

    @Test
    void tinyTemperatureIsAlmostGreedyAndHugeIsAlmostUniform() {
        float[] x = {1f, 3f, 2.9999f, -1f};
        Sampler cold = new Sampler(SamplingSettings.temperature(Float.MIN_VALUE, 5));
        for (int i = 0; i < 1000; i++) assertEquals(1, cold.sample(row(x)));
        int draws = 100_000;
        Sampler hot = new Sampler(SamplingSettings.temperature(1e30f, 6));
        assertMatches(new double[] {0.25, 0.25, 0.25, 0.25}, histogram(hot, row(x), draws), draws, "T=1e30");
    }

    @Test
    void samplingIgnoresNaNAndInfinities() {
        Sampler s = new Sampler(SamplingSettings.temperature(1f, 9));
        int draws = 50_000;
        float[] x = {Float.NaN, 0f, Float.NEGATIVE_INFINITY, (float) Math.log(3), Float.NaN};
        assertMatches(new double[] {0, 0.25, 0, 0.75, 0}, histogram(s, row(x), draws), draws, "NaN and -inf");
        float[] inf = {5f, Float.POSITIVE_INFINITY, Float.NaN, Float.POSITIVE_INFINITY};
        assertMatches(new double[] {0, 0.5, 0, 0.5}, histogram(s, row(inf), draws), draws, "+inf share equally");
        var e = assertThrows(IllegalStateException.class,
                () -> s.sample(row(Float.NaN, Float.NEGATIVE_INFINITY, Float.NaN)));
        assertEquals("cannot sample a token: all 3 candidate logits are NaN or -Infinity", e.getMessage());
        long before = s.draws();
        assertThrows(IllegalStateException.class, () -> s.sample(row(Float.NaN)));
        assertEquals(before, s.draws(), "a failed call consumes no draw");
    }

    // ---- top-k ----

    /** The k best ids by (value descending, id ascending), NaN as -inf, sorted ascending. */
    private static int[] bruteTopK(float[] x, int k) {
        return IntStream.range(0, x.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> Float.isNaN(x[i]) ? Double.POSITIVE_INFINITY : -x[i])
                        .thenComparingInt(i -> i))
                .limit(k).mapToInt(Integer::intValue).sorted().toArray();
    }

    @Test
    void topKExcludesEverythingOutsideTheKBest() {
        float[] x = randomLogits(11, 100, 1f);
        int k = 5;
        int[] best = bruteTopK(x, k);
        Sampler s = new Sampler(new SamplingSettings(2f, k, 1f, 77));
        int draws = 100_000;
        int[] counts = histogram(s, row(x), draws);
        double[] expected = new double[x.length];
        double sum = 0;
        for (int i : best) sum += expected[i] = Math.exp(x[i] / 2.0);
        for (int i : best) expected[i] /= sum;
        assertMatches(expected, counts, draws, "top-5 at T=2");
        for (int i : best) assertTrue(counts[i] > 0);
    }

    @Test
    void topKKeepsExactlyKWithTiesToTheLowerIds() {
        Sampler s = new Sampler(new SamplingSettings(1f, 3, 1f, 1));
        assertArrayEquals(new int[] {0, 1, 2}, s.candidates(row(1f, 1f, 1f, 1f, 1f)));
        assertArrayEquals(new int[] {1, 2, 3}, s.candidates(row(0f, 2f, 1f, 1f, 1f, 1f)));
        assertArrayEquals(new int[] {0, 2, 5}, s.candidates(row(5f, 1f, 5f, 1f, 1f, 5f, 5f)));
        int draws = 30_000;
        assertMatches(new double[] {1 / 3.0, 1 / 3.0, 1 / 3.0, 0, 0, 0},
                histogram(s, row(4f, 4f, 4f, 4f, 4f, 4f), draws), draws, "ties");
        // Fewer finite logits than k: the NaN/-inf ones kept to make up k have probability 0.
        assertArrayEquals(new int[] {1, 3}, s.candidates(row(Float.NaN, 1f, Float.NaN, 2f)));
        assertArrayEquals(new int[] {0, 1, 2}, new Sampler(new SamplingSettings(1f, 10, 1f, 1)).candidates(row(1f, 2f, 3f)));
    }

    @Test
    void topKSelectionMatchesASortOnManyShapes() {
        Random r = new Random(5);
        for (int trial = 0; trial < 300; trial++) {
            int v = 1 + r.nextInt(trial < 100 ? 20 : 3000);
            float[] x = new float[v];
            int distinct = 1 + r.nextInt(8); // few distinct values: many ties
            for (int i = 0; i < v; i++) {
                x[i] = r.nextInt(10) == 0 ? Float.NaN : (trial % 2 == 0 ? r.nextInt(distinct) : (float) r.nextGaussian());
            }
            int k = 1 + r.nextInt(v + 2);
            // temperature 1e30: every kept finite logit gets probability > 0
            Sampler s = new Sampler(new SamplingSettings(1e30f, k, 1f, 0));
            int[] expected = Arrays.stream(bruteTopK(x, Math.min(k, v))).filter(i -> !Float.isNaN(x[i])).toArray();
            if (expected.length == 0) continue;
            assertArrayEquals(expected, s.candidates(row(x)), "trial " + trial + " v=" + v + " k=" + k);
        }
    }

    // ---- top-p ----

    @Test
    void topPKeepsTheNucleus() {
        float[] x = logitsOf(0.5, 0.3, 0.15, 0.05);
        Tensor logits = row(x);
        int draws = 100_000;
        Sampler p08 = new Sampler(new SamplingSettings(1f, 0, 0.8f, 21));
        assertArrayEquals(new int[] {0, 1}, p08.candidates(logits));
        assertMatches(new double[] {0.5 / 0.8, 0.3 / 0.8, 0, 0}, histogram(p08, logits, draws), draws, "top-p 0.8");

        assertArrayEquals(new int[] {0, 1, 2}, new Sampler(new SamplingSettings(1f, 0, 0.81f, 0)).candidates(logits));
        assertArrayEquals(new int[] {0, 1, 2}, new Sampler(new SamplingSettings(1f, 0, 0.95f, 0)).candidates(logits));
        assertArrayEquals(new int[] {0, 1, 2, 3}, new Sampler(new SamplingSettings(1f, 0, 0.96f, 0)).candidates(logits));
        assertArrayEquals(new int[] {0}, new Sampler(new SamplingSettings(1f, 0, 0.5f, 0)).candidates(logits));
        assertArrayEquals(new int[] {0}, new Sampler(new SamplingSettings(1f, 0, Float.MIN_VALUE, 0)).candidates(logits));
        assertArrayEquals(new int[] {0, 1}, new Sampler(new SamplingSettings(1f, 0, 0.51f, 0)).candidates(logits));
    }

    @Test
    void topPSortsByProbabilityNotById() {
        // ids 0..5 with probabilities 0.05, 0.3, 0.15, 0.5, 0 (NaN), 0 (-inf)
        float[] x = logitsOf(0.05, 0.3, 0.15, 0.5, 1, 1);
        x[4] = Float.NaN;
        x[5] = Float.NEGATIVE_INFINITY;
        Tensor logits = row(x);
        Sampler s = new Sampler(new SamplingSettings(1f, 0, 0.8f, 4));
        assertArrayEquals(new int[] {1, 3}, s.candidates(logits));
        int draws = 50_000;
        assertMatches(new double[] {0, 0.375, 0, 0.625, 0, 0}, histogram(s, logits, draws), draws, "permuted");
        // Equal probabilities: the lower ids come first.
        assertArrayEquals(new int[] {0, 1}, topP(0.5f).candidates(row(2f, 2f, 2f, 2f)));
        assertArrayEquals(new int[] {0, 1, 2}, topP(0.6f).candidates(row(2f, 2f, 2f, 2f)));
        assertArrayEquals(new int[] {1, 2, 4}, topP(0.9f).candidates(row(0f, 5f, 5f, 0f, 5f, 0f)));
    }

    private static Sampler topP(float topP) {
        return new Sampler(new SamplingSettings(1f, 0, topP, 0));
    }

    @Test
    void topPAppliesAfterTemperature() {
        // probabilities 0.6/0.3/0.1 at T=1; at T=3 they flatten to about 0.44/0.35/0.21
        float[] x = logitsOf(0.6, 0.3, 0.1);
        assertArrayEquals(new int[] {0, 1}, new Sampler(new SamplingSettings(1f, 0, 0.85f, 0)).candidates(row(x)));
        assertArrayEquals(new int[] {0, 1, 2}, new Sampler(new SamplingSettings(3f, 0, 0.85f, 0)).candidates(row(x)));
    }

    @Test
    void topKThenTopP() {
        float[] x = logitsOf(0.4, 0.3, 0.2, 0.1);
        // top-p alone: 0.4, 0.7, 0.9 → three tokens for 0.75
        assertArrayEquals(new int[] {0, 1, 2}, new Sampler(new SamplingSettings(1f, 0, 0.75f, 0)).candidates(row(x)));
        // top-3 first renormalises to 4/9, 3/9, 2/9: 0.444, 0.778 → two tokens
        Sampler both = new Sampler(new SamplingSettings(1f, 3, 0.75f, 8));
        assertArrayEquals(new int[] {0, 1}, both.candidates(row(x)));
        int draws = 50_000;
        assertMatches(new double[] {4 / 7.0, 3 / 7.0, 0, 0}, histogram(both, row(x), draws), draws, "top-k then top-p");
    }

    /** The nucleus by a full sort, as the class comment defines it, ids ascending. */
    private static int[] bruteNucleus(double[] p, double topP) {
        Integer[] order = IntStream.range(0, p.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -p[i]).thenComparingInt(i -> i));
        List<Integer> nucleus = new ArrayList<>();
        double cum = 0;
        for (int i : order) {
            if (p[i] == 0) break;
            nucleus.add(i);
            cum += p[i];
            if (cum >= topP - Sampler.TOP_P_TOLERANCE) break;
        }
        return nucleus.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    @Test
    void topPMatchesASortOnManyShapes() {
        Random r = new Random(8);
        for (int trial = 0; trial < 500; trial++) {
            int v = 1 + r.nextInt(trial < 200 ? 12 : 400);
            float[] x = new float[v];
            int distinct = 1 + r.nextInt(5);
            for (int i = 0; i < v; i++) {
                x[i] = trial % 3 == 0 ? r.nextInt(distinct) : (float) (r.nextGaussian() * (1 + r.nextInt(8)));
            }
            float topP = trial % 7 == 0 ? 1f - r.nextFloat() * 0.01f : Math.max(Float.MIN_VALUE, r.nextFloat());
            float temperature = 0.3f + 2 * r.nextFloat();
            int[] expected = bruteNucleus(softmax(x, temperature), topP);
            int[] actual = new Sampler(new SamplingSettings(temperature, 0, topP, 0)).candidates(row(x));
            assertArrayEquals(expected, actual, "trial " + trial + " v=" + v + " topP=" + topP + " T=" + temperature);
        }
    }

    @Test
    void topPMatchesASortOnALargeVocabulary() {
        for (int trial = 0; trial < 6; trial++) {
            int v = 32000;
            float[] x = randomLogits(100 + trial, v, 1 + trial);
            float topP = new float[] {0.1f, 0.5f, 0.9f, 0.95f, 0.99f, 0.999f}[trial];
            float temperature = 0.7f + 0.2f * trial;
            int[] expected = bruteNucleus(softmax(x, temperature), topP);
            int[] actual = new Sampler(new SamplingSettings(temperature, 0, topP, 0)).candidates(row(x));
            assertArrayEquals(expected, actual, "topP " + topP + ": " + expected.length + " vs " + actual.length);
        }
    }

    // ---- seeds ----

    @Test
    void uniformIsSplittableRandomsSequence() {
        for (long seed : new long[] {0, 1, -1, 42, Long.MIN_VALUE, 0x1234_5678_9abcL}) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int step = 0; step < 1000; step++) {
                assertEquals(random.nextDouble(), Sampler.uniform(seed, step), "seed " + seed + " step " + step);
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        float[] x = randomLogits(3, 1000, 2f);
        SamplingSettings settings = new SamplingSettings(0.9f, 50, 0.95f, 2024);
        int[] a = sequence(new Sampler(settings), x, 2000);
        int[] b = sequence(new Sampler(settings), x, 2000);
        assertArrayEquals(a, b);
        int[] c = sequence(new Sampler(settings.withSeed(2025)), x, 2000);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
        long same = IntStream.range(0, a.length).filter(i -> a[i] == c[i]).count();
        assertTrue(same < a.length / 2, same + " of " + a.length + " equal across seeds");
        assertTrue(Arrays.stream(a).distinct().count() > 10, "the draws vary from token to token");
        // Resuming: seek to a draw count and get the rest of the sequence.
        Sampler resumed = new Sampler(settings);
        resumed.seek(1500);
        assertArrayEquals(Arrays.copyOfRange(a, 1500, 2000), sequence(resumed, x, 500));
        assertEquals(2000, resumed.draws());
    }

    private int[] sequence(Sampler s, float[] x, int n) {
        Tensor logits = row(x);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(logits);
        return out;
    }

    // ---- large vocabularies ----

    @Test
    void largeVocabulariesWork() {
        Sampler greedy = new Sampler();
        Sampler nucleus = new Sampler(new SamplingSettings(0.8f, 0, 0.9f, 1));
        Sampler topK = new Sampler(new SamplingSettings(0.8f, 40, 0.95f, 2));
        Sampler plain = new Sampler(SamplingSettings.temperature(1f, 3));
        for (int v : new int[] {100, 32000, 100352, 50}) { // the working arrays grow, and are reused for a smaller V
            float[] x = randomLogits(v, v, 4f);
            Tensor logits = row(x);
            int argmax = 0;
            for (int i = 1; i < v; i++) if (x[i] > x[argmax]) argmax = i;
            assertEquals(argmax, greedy.sample(logits));
            int[] top = bruteTopK(x, Math.min(40, v));
            for (Sampler s : new Sampler[] {nucleus, topK, plain}) {
                long start = System.nanoTime();
                int calls = 200;
                for (int i = 0; i < calls; i++) {
                    int id = s.sample(logits);
                    assertTrue(id >= 0 && id < v);
                    if (s == topK) assertTrue(Arrays.binarySearch(top, id) >= 0, "id " + id + " outside the top 40");
                }
                System.out.printf("V=%6d %-55s %8.1f us/token%n", v, s.settings(),
                        (System.nanoTime() - start) / 1e3 / calls);
            }
        }
    }
}
