package io.moe4j.engine.sampling;

import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * Picks the next token from one row of logits, following {@link SamplingSettings}. One sampler per
 * session/conversation, reused for every token; not thread-safe.
 *
 * <h2>Greedy ({@code temperature == 0})</h2>
 * The argmax; ties go to the lower id. NaN logits count as −∞ and are never chosen; if every logit is NaN,
 * {@link IllegalStateException}. Greedy decoding draws no random numbers.
 *
 * <h2>Sampling</h2>
 * In the order of Hugging Face transformers' logits processors (temperature → top-k → top-p):
 * <ol>
 *   <li>NaN logits count as −∞; the logits are divided by the temperature (in float64: {@code (x - max) / T}, so a
 *       tiny temperature neither overflows nor changes the order of the logits);</li>
 *   <li>top-k ({@code topK > 0}): keep the {@code topK} largest; ties at the k-th value keep the lower ids first, so
 *       exactly {@code min(topK, V)} remain. Selected with a bounded heap (small k; O(V log k), usually O(V)) or
 *       a quickselect (large k; expected O(V)), never a full sort;</li>
 *   <li>softmax in float64 over the kept tokens. If every kept logit is −∞ (or NaN) there is nothing to sample:
 *       {@link IllegalStateException}. If some are +∞, they share all the probability equally;</li>
 *   <li>top-p ({@code topP < 1}): order the kept tokens by probability, descending, ties lower id first, and keep the
 *       smallest prefix whose cumulative probability is {@code >= topP - }{@value #TOP_P_TOLERANCE} (at least one
 *       token). The tolerance absorbs the float32 rounding of the logits, so a nucleus that sums to exactly
 *       {@code topP} on paper is not widened by one more token. Found with a quickselect over the probability mass
 *       (expected O(kept)), not a full sort, after dropping the tokens too unlikely to matter: those with
 *       probability below about {@code (1 - topP) / (2 · kept)} cannot reach the nucleus, whatever the rest;</li>
 *   <li>renormalise and draw: with one uniform {@code u} in [0, 1), walk the remaining tokens in ascending id order
 *       and return the first whose cumulative probability exceeds {@code u · total}.</li>
 * </ol>
 *
 * <h2>Random numbers</h2>
 * Counter-based: the n-th sampled token (n = 0, 1, …, counted by {@link #draws()}) uses
 * {@link #uniform(long, long) uniform(seed, n)}, the SplitMix64 value {@code mix64(seed + (n + 1) · 0x9E3779B97F4A7C15)}
 * with its top 53 bits as a double in [0, 1). That is exactly the (n + 1)-th {@code nextDouble()} of
 * {@code new java.util.SplittableRandom(seed)}, so the same seed, settings and logits give the same tokens, and a
 * session can be resumed with {@link #seek(long)}. Every sampling call consumes exactly one draw, even when only one
 * token remains; greedy calls consume none.
 *
 * <h2>Cost</h2>
 * The logits are read straight from the tensor's {@link MemorySegment}. Working arrays are sized to the vocabulary
 * on first use and grown if a larger one arrives; after that {@link #sample} allocates nothing on the Java heap.
 */
public final class Sampler {
    /** Slack on the top-p threshold, in probability (see the class comment). */
    public static final double TOP_P_TOLERANCE = 1e-6;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
    /** Top-k uses a bounded heap up to this k (or up to V / 16), a quickselect above. */
    private static final int HEAP_MAX_K = 256;
    private static final int[] NO_INTS = {};
    private static final float[] NO_FLOATS = {};
    private static final double[] NO_DOUBLES = {};

    private final SamplingSettings settings;
    private long draws;

    // Working arrays, sized to the largest vocabulary seen. vals/ids first hold the top-k heap, then the kept
    // candidates in ascending id order; probs their unnormalised probabilities; perm the quickselects.
    private float[] vals = NO_FLOATS;
    private int[] ids = NO_INTS;
    private double[] probs = NO_DOUBLES;
    private int[] perm = NO_INTS;

    /** A greedy sampler. */
    public Sampler() {
        this(SamplingSettings.GREEDY);
    }

    public Sampler(SamplingSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public SamplingSettings settings() {
        return settings;
    }

    /** How many random draws this sampler has used (one per non-greedy {@link #sample} call). */
    public long draws() {
        return draws;
    }

    /** Sets the draw counter, e.g. to resume a session: the next sampled token uses {@code uniform(seed, draws)}. */
    public void seek(long draws) {
        if (draws < 0) throw new IllegalArgumentException("draws must be >= 0, got " + draws);
        this.draws = draws;
    }

    /**
     * The uniform in [0, 1) used for draw number {@code step} (0-based) with {@code seed}: equal to the
     * {@code (step + 1)}-th {@code nextDouble()} of {@code new SplittableRandom(seed)}.
     */
    public static double uniform(long seed, long step) {
        long z = seed + (step + 1) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    /**
     * The next token id for one row of F32 logits {@code [V]} (a contiguous row, e.g. {@code logits.row(t)} of a
     * {@code [T, V]} tensor; a {@code [1, V]} tensor is accepted too).
     *
     * @throws IllegalArgumentException if the tensor is not a non-empty contiguous F32 row
     * @throws IllegalStateException    if no token can be chosen (all logits NaN; when sampling, all NaN or −∞)
     */
    public int sample(Tensor logits) {
        int v = checkRow(logits);
        MemorySegment row = logits.segment();
        if (settings.isGreedy()) return argmax(row, v);

        ensureCapacity(v);
        int n = selectTopK(row, v, settings.topK());
        double total = softmax(n, settings.temperature());
        if (settings.topP() < 1f) {
            n = nucleus(n, total, settings.topP());
            total = 0;
            for (int i = 0; i < n; i++) total += probs[i];
        }
        double u = uniform(settings.seed(), draws);
        draws++;
        return draw(n, total, u);
    }

    /**
     * The ids that {@link #sample} can return (kept by top-k and top-p, with non-zero probability), ascending,
     * without drawing.
     * For tests; allocates.
     */
    int[] candidates(Tensor logits) {
        int v = checkRow(logits);
        if (settings.isGreedy()) return new int[] {argmax(logits.segment(), v)};
        ensureCapacity(v);
        int n = selectTopK(logits.segment(), v, settings.topK());
        double total = softmax(n, settings.temperature());
        if (settings.topP() < 1f) n = nucleus(n, total, settings.topP());
        int[] out = new int[n];
        int m = 0;
        for (int i = 0; i < n; i++) if (probs[i] > 0) out[m++] = ids[i];
        return java.util.Arrays.copyOf(out, m);
    }

    private static int checkRow(Tensor logits) {
        Objects.requireNonNull(logits, "logits");
        if (logits.dtype() != DType.F32) {
            throw new IllegalArgumentException("logits must be F32, got " + logits.dtype());
        }
        int rank = logits.rank();
        if (rank == 0) throw new IllegalArgumentException("logits must be a row [V], got a scalar " + logits);
        for (int d = 0; d < rank - 1; d++) {
            if (logits.dim(d) != 1) {
                throw new IllegalArgumentException("logits must be one row [V] (take .row(t) of a [T, V] tensor), got "
                        + logits);
            }
        }
        if (!logits.isContiguous()) {
            throw new IllegalArgumentException("logits must be a contiguous row, got " + logits);
        }
        long v = logits.dim(-1);
        if (v == 0) throw new IllegalArgumentException("logits row is empty: " + logits);
        if (v > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("vocabulary too large: " + v);
        return (int) v;
    }

    /** Argmax, ties to the lower id, NaN never chosen. */
    private static int argmax(MemorySegment row, int v) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            float x = row.get(F32, 4L * i);
            if (x > bestValue || (best < 0 && x == x)) {
                bestValue = x;
                best = i;
            }
        }
        if (best < 0) throw new IllegalStateException("cannot pick a token: all " + v + " logits are NaN");
        return best;
    }

    private void ensureCapacity(int v) {
        if (vals.length >= v) return;
        vals = new float[v];
        ids = new int[v];
        probs = new double[v];
        perm = new int[v];
    }

    private static float read(MemorySegment row, int i) {
        float x = row.get(F32, 4L * i);
        return x == x ? x : Float.NEGATIVE_INFINITY;
    }

    /**
     * Fills {@code vals}/{@code ids} with the kept candidates in ascending id order: all {@code v} when top-k is off
     * or {@code k >= v}, else the {@code k} best by (value descending, id ascending). Returns their count.
     */
    private int selectTopK(MemorySegment row, int v, int k) {
        float[] vals = this.vals;
        int[] ids = this.ids;
        if (k == 0 || k >= v) {
            for (int i = 0; i < v; i++) {
                vals[i] = read(row, i);
                ids[i] = i;
            }
            return v;
        }
        float kthValue;
        int kthId;
        if (k <= HEAP_MAX_K || k <= v >>> 4) {
            // A min-heap of the k best seen so far, its root the worst of them (lowest value, then highest id).
            for (int i = 0; i < k; i++) {
                vals[i] = read(row, i);
                ids[i] = i;
            }
            for (int i = (k >>> 1) - 1; i >= 0; i--) siftDown(vals, ids, i, k);
            for (int i = k; i < v; i++) {
                float x = read(row, i);
                // A later id with a value equal to the root's ranks below the root: only strictly greater enters.
                if (x > vals[0]) {
                    vals[0] = x;
                    ids[0] = i;
                    siftDown(vals, ids, 0, k);
                }
            }
            kthValue = vals[0];
            kthId = ids[0];
        } else {
            // A large k: quickselect the k-th best over a copy (expected O(V), where the heap would be O(V log k)).
            for (int i = 0; i < v; i++) vals[i] = read(row, i);
            kthId = kth(vals, v, k);
            kthValue = vals[kthId];
        }
        // The k-th best found: exactly k tokens rank at or above it. Collect them in id order.
        int n = 0;
        for (int i = 0; i < v; i++) {
            float x = read(row, i);
            if (x > kthValue || (x == kthValue && i <= kthId)) {
                vals[n] = x;
                ids[n] = i;
                n++;
            }
        }
        return n;
    }

    /** Whether position a ranks before position b in {@code vals}: a higher value, ties the lower position. */
    private static boolean before(float[] vals, int a, int b) {
        return vals[a] > vals[b] || (vals[a] == vals[b] && a < b);
    }

    /** The position of the k-th best (1-based) of {@code vals[0, n)}, by quickselect over {@code perm}. */
    private int kth(float[] vals, int n, int k) {
        int[] perm = this.perm;
        for (int i = 0; i < n; i++) perm[i] = i;
        int lo = 0, hi = n, want = k - 1; // perm index the k-th best ends up at
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            int a = perm[lo], b = perm[mid], c = perm[hi - 1];
            int pivotSlot;
            if (before(vals, a, b)) {
                pivotSlot = before(vals, b, c) ? mid : (before(vals, a, c) ? hi - 1 : lo);
            } else {
                pivotSlot = before(vals, a, c) ? lo : (before(vals, b, c) ? hi - 1 : mid);
            }
            int pivot = perm[pivotSlot];
            perm[pivotSlot] = perm[hi - 1];
            perm[hi - 1] = pivot;
            int store = lo;
            for (int j = lo; j < hi - 1; j++) {
                int e = perm[j];
                if (before(vals, e, pivot)) {
                    perm[j] = perm[store];
                    perm[store] = e;
                    store++;
                }
            }
            perm[hi - 1] = perm[store];
            perm[store] = pivot;
            if (store == want) return pivot;
            if (want < store) hi = store;
            else lo = store + 1;
        }
        return perm[lo];
    }

    /** Whether heap entry a ranks below entry b: a lower value, or an equal value with a higher id. */
    private static boolean worse(float[] vals, int[] ids, int a, int b) {
        return vals[a] < vals[b] || (vals[a] == vals[b] && ids[a] > ids[b]);
    }

    private static void siftDown(float[] vals, int[] ids, int i, int size) {
        float v = vals[i];
        int id = ids[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) break;
            if (child + 1 < size && worse(vals, ids, child + 1, child)) child++;
            float cv = vals[child];
            int cid = ids[child];
            if (!(cv < v || (cv == v && cid > id))) break; // child is not worse than the moving entry
            vals[i] = cv;
            ids[i] = cid;
            i = child;
        }
        vals[i] = v;
        ids[i] = id;
    }

    /** Unnormalised softmax of {@code vals[0, n) / temperature} into {@code probs}; returns the sum. */
    private double softmax(int n, float temperature) {
        float[] vals = this.vals;
        double[] probs = this.probs;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, vals[i]);
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalStateException("cannot sample a token: all " + n + " candidate logits are NaN or -Infinity");
        }
        double total = 0;
        if (max == Float.POSITIVE_INFINITY) {
            for (int i = 0; i < n; i++) {
                double p = vals[i] == Float.POSITIVE_INFINITY ? 1.0 : 0.0;
                probs[i] = p;
                total += p;
            }
            return total;
        }
        double m = max, t = temperature;
        for (int i = 0; i < n; i++) {
            double p = Math.exp((vals[i] - m) / t);
            probs[i] = p;
            total += p;
        }
        return total;
    }

    /**
     * Keeps the nucleus of {@code probs[0, n)} (candidates in id order, so position order is id order), compacting
     * {@code ids}/{@code probs} in place, still in id order; returns the new count.
     */
    private int nucleus(int n, double total, float topP) {
        double[] probs = this.probs;
        int[] ids = this.ids;
        double target = (topP - TOP_P_TOLERANCE) * total;
        int boundary;
        if (!(target > 0)) {
            boundary = 0;
            for (int i = 1; i < n; i++) if (probs[i] > probs[boundary]) boundary = i;
        } else {
            boundary = boundary(n, total, target);
        }
        // Keep every candidate ranked at or above the boundary: (probability descending, id ascending).
        double bp = probs[boundary];
        int kept = 0;
        for (int c = 0; c < n; c++) {
            double p = probs[c];
            if (p > bp || (p == bp && c <= boundary)) {
                ids[kept] = ids[c];
                probs[kept] = p;
                kept++;
            }
        }
        return kept;
    }

    /** Whether candidate a ranks before candidate b: higher probability, ties lower position (= lower id). */
    private static boolean before(double[] probs, int a, int b) {
        return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
    }

    /**
     * The last candidate of the smallest ranked prefix whose mass reaches {@code target}, by quickselect: partition
     * around a pivot; if the better part already reaches the target, look only there, else take it (and the pivot)
     * whole and go on in the worse part.
     */
    private int boundary(int n, double total, double target) {
        double[] probs = this.probs;
        int[] perm = this.perm;
        // Candidates below tau together hold less than n · tau <= (total - target) / 2, so those at or above it
        // (a prefix of the ranking) already hold more than target: the boundary is among them. Only they enter the
        // quickselect, which for a peaked distribution over a large vocabulary is a small fraction.
        double tau = 0.5 * (total - target) / n;
        int m = 0;
        for (int i = 0; i < n; i++) if (probs[i] >= tau) perm[m++] = i;
        int lo = 0, hi = m;
        double acc = 0; // mass of everything ranked before perm[lo]; always < target
        while (true) {
            if (hi - lo <= 1) return perm[lo];
            // Median of three as the pivot, moved to hi - 1.
            int mid = (lo + hi) >>> 1;
            int a = perm[lo], b = perm[mid], c = perm[hi - 1];
            int pivotSlot;
            if (before(probs, a, b)) {
                pivotSlot = before(probs, b, c) ? mid : (before(probs, a, c) ? hi - 1 : lo);
            } else {
                pivotSlot = before(probs, a, c) ? lo : (before(probs, b, c) ? hi - 1 : mid);
            }
            int pivot = perm[pivotSlot];
            perm[pivotSlot] = perm[hi - 1];
            perm[hi - 1] = pivot;
            int store = lo;
            double better = 0;
            for (int j = lo; j < hi - 1; j++) {
                int e = perm[j];
                if (before(probs, e, pivot)) {
                    perm[j] = perm[store];
                    perm[store] = e;
                    store++;
                    better += probs[e];
                }
            }
            perm[hi - 1] = perm[store];
            perm[store] = pivot;
            if (acc + better >= target) {
                hi = store; // non-empty: better > 0 since acc < target
            } else {
                acc += better;
                if (acc + probs[pivot] >= target) return pivot;
                acc += probs[pivot];
                lo = store + 1;
                if (lo == hi) return pivot; // rounding left the target unreached: keep everything
            }
        }
    }

    /** Inverse CDF over {@code probs[0, n)} in id order with {@code u} in [0, 1). */
    private int draw(int n, double total, double u) {
        double r = u * total;
        double cum = 0;
        int last = 0;
        for (int i = 0; i < n; i++) {
            double p = probs[i];
            if (p > 0) {
                cum += p;
                last = i;
                if (r < cum) return ids[i];
            }
        }
        return ids[last]; // u · total rounded up to total
    }
}
