/*
 * moe4j-twin: one MoE layer forward, computed in C exactly as the Java engine computes it, for
 * `moe4j bench --twin`, which divides the Java time of a row by this program's time (the cost of the JVM path).
 *
 *   moe4j-twin --shape D,F,E,k --dtype f32|bf16 --tokens T --threads N --repeat R --warmup W --seed S
 *
 * prints one JSON line: {"ms":[R times],"expert_load":[E],"checksum":Σy,"abs_checksum":Σ|y|}. Exit status 2 for bad
 * arguments, 1 for a failed run, each with a one-line message on stderr.
 *
 * What it mirrors (Java class in parentheses):
 *   weights     the benchmark's random values (io.moe4j.bench.RandomWeights, RandomFill, BenchLayer): experts' w1, w3
 *               [F, D] and w2 [D, F] in the row's dtype (BF16 = the f32 value rounded to nearest even), the router
 *               [E, D] and the input x [T, D] in f32
 *   forward     MoeLayer.forward with the softmax_topk router and l1 normalisation:
 *     route     router logits through the backend's matmul, then per token softmax, top-k (ties to the lower index),
 *               l1 weights and the routing statistics' terms (TopKRouter, Gates, LossAccumulator, Capacity.admit)
 *     dispatch  counting sort of the assignments by expert, gather each expert's rows, its FFN, scatter-add the
 *               weighted outputs in expert order (Dispatch)
 *     ffn       w1 and w3 products, silu(gate)·up, w2 product (Ffn, Activations.siluMul)
 *   matmul      CpuBackend.matmul: oneDNN column blocks over the worker pool, or the BF16 GEMV (twin_matmul.c,
 *               twin_gemv.c, twin_pool.c)
 *
 * Floating point follows Java's: the file is compiled with -ffp-contract=off, so a product is fused into an add
 * only where the Java code calls fma; doubles are used where Java uses doubles.
 */
#define _GNU_SOURCE
#include "twin.h"

#include <errno.h>
#include <immintrin.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- errors and memory ------------------------------------------------------------------------------------ */

static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static char error_message[512];
static volatile int error_set;

int twin_fail(const char *format, ...) {
    pthread_mutex_lock(&error_lock);
    if (!error_set) { /* the first failure is the cause; later ones follow from it */
        va_list args;
        va_start(args, format);
        vsnprintf(error_message, sizeof error_message, format, args);
        va_end(args);
        __atomic_store_n(&error_set, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&error_lock);
    return -1;
}

int twin_failed(void) {
    return __atomic_load_n(&error_set, __ATOMIC_ACQUIRE);
}

const char *twin_error(void) {
    return error_message;
}

void *twin_alloc(size_t bytes, const char *what) {
    size_t rounded = (bytes + 63) & ~(size_t) 63; /* aligned_alloc wants a multiple of the alignment */
    void *p = aligned_alloc(64, rounded > 0 ? rounded : 64);
    if (p == NULL) twin_fail("cannot allocate %zu bytes for %s", bytes, what);
    return p;
}

/* ---- arguments -------------------------------------------------------------------------------------------- */

typedef struct {
    int d, f, e, k; /* model width, expert FFN width, experts, experts per token */
    twin_dtype dtype;
    int tokens, threads, repeat, warmup;
    int64_t seed;
} options;

static const char USAGE[] =
    "usage: moe4j-twin --shape D,F,E,k|mixtral|dbrx --dtype f32|bf16 --tokens T --threads N --repeat R "
    "--warmup W --seed S\n";

static int bad_usage(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("moe4j-twin: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    fputs(USAGE, stderr);
    return 2;
}

/* A whole decimal integer in [min, max], or -1 (with *out untouched). */
static int parse_long(const char *text, long long min, long long max, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *name, const char *text, int min, int max, int *out) {
    long long v;
    if (parse_long(text, min, max, &v)) {
        return bad_usage("%s must be an integer from %d to %d, got '%s'", name, min, max, text);
    }
    *out = (int) v;
    return 0;
}

/* LayerShape.parse: mixtral, dbrx or D,F,E,k with k <= E. */
static int parse_shape(const char *text, options *o) {
    if (strcmp(text, "mixtral") == 0) {
        o->d = 4096, o->f = 14336, o->e = 8, o->k = 2;
        return 0;
    }
    if (strcmp(text, "dbrx") == 0) {
        o->d = 6144, o->f = 10752, o->e = 16, o->k = 4;
        return 0;
    }
    char copy[128];
    if (strlen(text) >= sizeof copy) return bad_usage("--shape '%s' is too long", text);
    strcpy(copy, text);
    int *dims[4] = {&o->d, &o->f, &o->e, &o->k};
    const char *names[4] = {"D", "F", "E", "k"};
    char *save = NULL, *part = strtok_r(copy, ",", &save);
    for (int i = 0; i < 4; i++, part = strtok_r(NULL, ",", &save)) {
        long long v;
        if (part == NULL) return bad_usage("--shape '%s': use D,F,E,k (e.g. 4096,14336,8,2), mixtral or dbrx", text);
        if (parse_long(part, 1, 1 << 20, &v)) {
            return bad_usage("--shape '%s': %s must be an integer from 1 to %d, got '%s'", text, names[i], 1 << 20, part);
        }
        *dims[i] = (int) v;
    }
    if (part != NULL) return bad_usage("--shape '%s': use D,F,E,k (four numbers)", text);
    if (o->k > o->e) return bad_usage("--shape '%s': k=%d > E=%d", text, o->k, o->e);
    return 0;
}

static int parse_options(int argc, char **argv, options *o) {
    int given[7] = {0};
    static const char *names[7] = {"--shape", "--dtype", "--tokens", "--threads", "--repeat", "--warmup", "--seed"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            exit(0);
        }
        int which = -1;
        for (int n = 0; n < 7; n++) if (strcmp(argv[i], names[n]) == 0) which = n;
        if (which < 0) return bad_usage("unknown argument '%s'", argv[i]);
        if (i + 1 >= argc) return bad_usage("%s needs a value", argv[i]);
        if (given[which]++) return bad_usage("%s given twice", argv[i]);
        const char *v = argv[++i];
        int rc = 0;
        switch (which) {
            case 0: rc = parse_shape(v, o); break;
            case 1:
                if (strcmp(v, "f32") == 0) o->dtype = TWIN_F32;
                else if (strcmp(v, "bf16") == 0) o->dtype = TWIN_BF16;
                else rc = bad_usage("--dtype must be f32 or bf16, got '%s'", v);
                break;
            case 2: rc = parse_int("--tokens", v, 1, 1 << 24, &o->tokens); break;
            case 3: rc = parse_int("--threads", v, 1, 1024, &o->threads); break;
            case 4: rc = parse_int("--repeat", v, 1, 1 << 24, &o->repeat); break;
            case 5: rc = parse_int("--warmup", v, 0, 1 << 24, &o->warmup); break;
            default: {
                long long s;
                if (parse_long(v, INT64_MIN, INT64_MAX, &s)) rc = bad_usage("--seed must be a 64-bit integer, got '%s'", v);
                else o->seed = s;
            }
        }
        if (rc) return rc;
    }
    for (int n = 0; n < 7; n++) {
        if (!given[n]) return bad_usage("%s is required", names[n]);
    }
    if ((int64_t) o->tokens * o->k > INT32_MAX / 2) { /* assignments are counted in int, as in Java */
        return bad_usage("--tokens %d with k=%d makes too many assignments", o->tokens, o->k);
    }
    return 0;
}

/* ---- generate: the benchmark's random values (RandomWeights, RandomFill) ------------------------------------ */

/* RandomWeights: stream numbers and scales. */
#define STREAM_ROUTER 1000000
#define STREAM_INPUT 2000000
#define EXPERT_SCALE 0.02f
#define ROUTER_SCALE 0.05f
#define INPUT_SCALE 1.0f
/* RandomFill.ROWS_PER_CHUNK */
#define FILL_ROWS 64

/*
 * RandomWeights.value: scale · (u24 · 2⁻²³ − 1), u24 the top 24 bits of SplitMix64's finaliser applied to
 * seed·0x9E3779B97F4A7C15 + stream·0xBF58476D1CE4E5B9 + index (wrapping); one f32 rounding, in the product.
 */
static float random_value(int64_t seed, int64_t stream, int64_t index, float scale) {
    uint64_t z = (uint64_t) seed * 0x9E3779B97F4A7C15ULL + (uint64_t) stream * 0xBF58476D1CE4E5B9ULL + (uint64_t) index;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    int32_t u24 = (int32_t) (z >> 40);
    return scale * ((float) u24 * 0x1.0p-23f - 1.0f);
}

/* Convert.bf16: round to nearest even; a NaN stays a quiet NaN. */
static uint16_t f32_to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t) ((bits >> 16) | 0x0040);
    return (uint16_t) ((bits + 0x7fffu + ((bits >> 16) & 1)) >> 16);
}

typedef struct {
    void *data;
    twin_dtype dtype;
    int64_t cols;
    int64_t rows;
    int64_t seed, stream;
    float scale;
} fill;

/* RandomFill.run: rows [64·chunk, 64·chunk + 64) of one tensor. */
static void fill_chunk(void *context, int chunk, int thread) {
    (void) thread;
    fill *f = context;
    int64_t first = (int64_t) chunk * FILL_ROWS, end = first + FILL_ROWS < f->rows ? first + FILL_ROWS : f->rows;
    for (int64_t i = first * f->cols; i < end * f->cols; i++) {
        float v = random_value(f->seed, f->stream, i, f->scale);
        if (f->dtype == TWIN_F32) ((float *) f->data)[i] = v;
        else ((uint16_t *) f->data)[i] = f32_to_bf16(v);
    }
}

/* RandomFill.allocate: a [rows, cols] tensor of stream `stream`, filled on the pool; NULL after twin_fail(). */
static void *random_tensor(twin_pool *pool, twin_dtype dtype, int64_t rows, int64_t cols, int64_t seed,
                           int64_t stream, float scale, const char *what) {
    void *data = twin_alloc((size_t) (rows * cols) * (dtype == TWIN_F32 ? 4 : 2), what);
    if (data == NULL) return NULL;
    fill f = {data, dtype, cols, rows, seed, stream, scale};
    twin_pool_run(pool, fill_chunk, &f, (int) ((rows + FILL_ROWS - 1) / FILL_ROWS));
    return data;
}

/* ---- the layer ---------------------------------------------------------------------------------------------- */

typedef struct {
    options o;
    twin_backend *backend;
    float *router; /* [E, D] f32 (RouterTensors: router math is f32 whatever the experts' dtype) */
    void **w1, **w3, **w2; /* [E] experts: w1, w3 [F, D], w2 [D, F] */

    /* LayerScratch for T tokens. */
    float *logits;     /* [T, E] */
    float *gathered;   /* [T, D] the rows routed to one expert */
    float *expert_out; /* [T, D] */
    float *hidden;     /* [T, F] */
    float *gate;       /* [T, F] */
    float *row, *prob, *weights; /* [E] */
    int *top;          /* [E] */
    unsigned char *taken; /* [E] */
    int *choice_expert; /* [T·k] Choices */
    float *choice_weight;
    int *a_token, *a_expert; /* [T·k] Assignments, in admission order */
    float *a_weight;
    int a_count;
    int64_t *load;     /* [E] */
    int *count, *offset, *order; /* Dispatch's counting sort */
    double *probability, *first_choice; /* [E] LossAccumulator */
    double z_loss, entropy, aux_loss;
} layer;

static void layer_free(layer *l) {
    if (l->w1 != NULL) {
        for (int e = 0; e < l->o.e; e++) {
            free(l->w1[e]);
            free(l->w3[e]);
            free(l->w2[e]);
        }
    }
    free(l->w1);
    free(l->w3);
    free(l->w2);
    free(l->router);
    void *scratch[] = {l->logits, l->gathered, l->expert_out, l->hidden, l->gate, l->row, l->prob, l->weights,
                       l->top, l->taken, l->choice_expert, l->choice_weight, l->a_token, l->a_expert, l->a_weight,
                       l->load, l->count, l->offset, l->order, l->probability, l->first_choice};
    for (size_t i = 0; i < sizeof scratch / sizeof scratch[0]; i++) free(scratch[i]);
}

/* BenchLayer.create: the experts (streams 3e, 3e+1, 3e+2), the router, and the scratch of a T-token batch. */
static int layer_init(layer *l, const options *o, twin_pool *pool, twin_backend *backend) {
    memset(l, 0, sizeof *l);
    l->o = *o;
    l->backend = backend;
    int d = o->d, f = o->f, e = o->e, t = o->tokens, assignments = o->tokens * o->k;
    l->w1 = calloc((size_t) e, sizeof(void *));
    l->w3 = calloc((size_t) e, sizeof(void *));
    l->w2 = calloc((size_t) e, sizeof(void *));
    if (l->w1 == NULL || l->w3 == NULL || l->w2 == NULL) return twin_fail("cannot allocate the expert table");
    for (int i = 0; i < e; i++) {
        if ((l->w1[i] = random_tensor(pool, o->dtype, f, d, o->seed, 3L * i, EXPERT_SCALE, "w1")) == NULL
            || (l->w3[i] = random_tensor(pool, o->dtype, f, d, o->seed, 3L * i + 1, EXPERT_SCALE, "w3")) == NULL
            || (l->w2[i] = random_tensor(pool, o->dtype, d, f, o->seed, 3L * i + 2, EXPERT_SCALE, "w2")) == NULL) {
            return -1;
        }
    }
    l->router = random_tensor(pool, TWIN_F32, e, d, o->seed, STREAM_ROUTER, ROUTER_SCALE, "the router");
    if (l->router == NULL) return -1;
    size_t fl = sizeof(float);
    if ((l->logits = twin_alloc((size_t) t * e * fl, "router logits")) == NULL
        || (l->gathered = twin_alloc((size_t) t * d * fl, "gathered rows")) == NULL
        || (l->expert_out = twin_alloc((size_t) t * d * fl, "expert outputs")) == NULL
        || (l->hidden = twin_alloc((size_t) t * f * fl, "expert hidden states")) == NULL
        || (l->gate = twin_alloc((size_t) t * f * fl, "expert gates")) == NULL
        || (l->row = twin_alloc((size_t) e * fl, "routing scratch")) == NULL
        || (l->prob = twin_alloc((size_t) e * fl, "routing scratch")) == NULL
        || (l->weights = twin_alloc((size_t) e * fl, "routing scratch")) == NULL
        || (l->top = twin_alloc((size_t) e * sizeof(int), "routing scratch")) == NULL
        || (l->taken = twin_alloc((size_t) e, "routing scratch")) == NULL
        || (l->choice_expert = twin_alloc((size_t) assignments * sizeof(int), "choices")) == NULL
        || (l->choice_weight = twin_alloc((size_t) assignments * fl, "choices")) == NULL
        || (l->a_token = twin_alloc((size_t) assignments * sizeof(int), "assignments")) == NULL
        || (l->a_expert = twin_alloc((size_t) assignments * sizeof(int), "assignments")) == NULL
        || (l->a_weight = twin_alloc((size_t) assignments * fl, "assignments")) == NULL
        || (l->load = twin_alloc((size_t) e * sizeof(int64_t), "expert loads")) == NULL
        || (l->count = twin_alloc((size_t) e * sizeof(int), "dispatch counts")) == NULL
        || (l->offset = twin_alloc((size_t) (e + 1) * sizeof(int), "dispatch offsets")) == NULL
        || (l->order = twin_alloc((size_t) assignments * sizeof(int), "dispatch order")) == NULL
        || (l->probability = twin_alloc((size_t) e * sizeof(double), "routing statistics")) == NULL
        || (l->first_choice = twin_alloc((size_t) e * sizeof(double), "routing statistics")) == NULL) {
        return -1;
    }
    return 0;
}

/* ---- route: the softmax_topk router (TopKRouter, Gates, LossAccumulator, Capacity) ---------------------------- */

/* Math.max(float, float): a NaN wins (fmaxf would drop it), +0 is above −0. */
static float java_max(float a, float b) {
    if (isnan(a) || isnan(b)) return NAN;
    if (a == 0.0f && b == 0.0f) return signbit(a) ? b : a;
    return a >= b ? a : b;
}

/* Gates.softmax: p = softmax(h) in f32 with a double sum; returns logsumexp(h). */
static float softmax(const float *h, int n, float *p) {
    float max = -INFINITY;
    for (int i = 0; i < n; i++) max = java_max(max, h[i]);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        float e = (float) exp((double) (h[i] - max));
        p[i] = e;
        sum += e;
    }
    float inv = (float) (1.0 / sum);
    for (int i = 0; i < n; i++) p[i] *= inv;
    return max + (float) log(sum);
}

/* Gates.entropy: −Σ p log p in nats. */
static double entropy(const float *p, int n) {
    double h = 0;
    for (int i = 0; i < n; i++) if (p[i] > 0) h -= p[i] * log((double) p[i]);
    return h;
}

/* Gates.topK: the k largest scores, descending, ties to the lower index, NaN below every number. */
static void top_k(const float *scores, int n, int k, int *top, unsigned char *taken) {
    memset(taken, 0, (size_t) n);
    for (int r = 0; r < k; r++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            if (taken[i]) continue;
            if (best < 0 || scores[i] > scores[best] || (isnan(scores[best]) && !isnan(scores[i]))) best = i;
        }
        taken[best] = 1;
        top[r] = best;
    }
}

/* Gates.normalize(L1): g[r] = p[top[r]] / Σ_r p[top[r]], the sum in double. */
static void normalize_l1(const float *p, const int *top, int k, float *g) {
    double norm = 0;
    for (int r = 0; r < k; r++) norm += p[top[r]];
    for (int r = 0; r < k; r++) g[r] = (float) (p[top[r]] / norm);
}

/* TopKRouter.route: logits, per-token gates and statistics, then admission (no capacity: all admitted). */
static int route(layer *l, const float *x) {
    int t_count = l->o.tokens, e = l->o.e, k = l->o.k;
    if (twin_matmul(l->backend, x, t_count, l->o.d, l->router, TWIN_F32, e, l->o.d, l->logits, e)) return -1;
    memset(l->probability, 0, (size_t) e * sizeof(double));
    memset(l->first_choice, 0, (size_t) e * sizeof(double));
    l->z_loss = l->entropy = 0;
    for (int t = 0; t < t_count; t++) {
        memcpy(l->row, l->logits + (int64_t) t * e, (size_t) e * sizeof(float));
        float lse = softmax(l->row, e, l->prob);
        l->z_loss += (double) lse * lse;
        l->entropy += entropy(l->prob, e);
        for (int i = 0; i < e; i++) l->probability[i] += l->prob[i];
        top_k(l->row, e, k, l->top, l->taken);
        normalize_l1(l->prob, l->top, k, l->weights);
        for (int r = 0; r < k; r++) {
            l->choice_expert[t * k + r] = l->top[r];
            l->choice_weight[t * k + r] = l->weights[r];
        }
        l->first_choice[l->top[0]] += 1;
    }
    /* LossAccumulator.finish: aux_loss = E · Σ f_e · P_e (f by tokens, P by tokens), z-loss and entropy means. */
    double aux = 0;
    for (int i = 0; i < e; i++) aux += (l->first_choice[i] / t_count) * (l->probability[i] / t_count);
    l->aux_loss = e * aux;
    l->z_loss /= t_count;
    l->entropy /= t_count;
    /* Capacity.admit without a capacity: rank by rank, tokens in order. */
    memset(l->load, 0, (size_t) e * sizeof(int64_t));
    l->a_count = 0;
    for (int r = 0; r < k; r++) {
        for (int t = 0; t < t_count; t++) {
            int ex = l->choice_expert[t * k + r];
            l->load[ex]++;
            l->a_token[l->a_count] = t;
            l->a_expert[l->a_count] = ex;
            l->a_weight[l->a_count] = l->choice_weight[t * k + r];
            l->a_count++;
        }
    }
    return 0;
}

/* ---- ffn: one expert on n gathered rows (Ffn.run, SwiGLU) ----------------------------------------------------- */

/* glibc's AVX2 expf over 8 lanes (libmvec): the counterpart of the Vector API's EXP, which HotSpot also
   computes with a vector math library (SVML); a scalar expf here would make the C side slower than Java's. */
extern __m256 _ZGVdN8v_expf(__m256 x);

/* Activations.siluMul: out = a / (exp(−a) + 1) · b, 8 lanes at a time, the tail in scalar f32. */
static void silu_mul(const float *a, const float *b, float *out, int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f), sign = _mm256_set1_ps(-0.0f);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
        __m256 e = _ZGVdN8v_expf(_mm256_xor_ps(va, sign));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(va, _mm256_add_ps(e, one)), vb));
    }
    for (; i < n; i++) out[i] = a[i] / (1.0f + (float) exp(-(double) a[i])) * b[i];
}

/* Ffn.run: hidden = x·w1ᵀ, gate = x·w3ᵀ, hidden = silu(hidden)·gate, out = hidden·w2ᵀ. */
static int ffn(layer *l, int expert, int n) {
    int d = l->o.d, f = l->o.f;
    twin_dtype dt = l->o.dtype;
    if (twin_matmul(l->backend, l->gathered, n, d, l->w1[expert], dt, f, d, l->hidden, f)) return -1;
    if (twin_matmul(l->backend, l->gathered, n, d, l->w3[expert], dt, f, d, l->gate, f)) return -1;
    for (int r = 0; r < n; r++) { /* Ops.siluMul: row by row, on the calling thread */
        silu_mul(l->hidden + (int64_t) r * f, l->gate + (int64_t) r * f, l->hidden + (int64_t) r * f, f);
    }
    return twin_matmul(l->backend, l->hidden, n, f, l->w2[expert], dt, d, f, l->expert_out, d);
}

/* ---- dispatch: group by expert, gather, FFN, scatter-add (Dispatch) ------------------------------------------- */

/* Dispatch.groupByExpert: a stable counting sort of assignment indices by expert. */
static void group_by_expert(layer *l) {
    int e = l->o.e;
    memset(l->count, 0, (size_t) e * sizeof(int));
    for (int i = 0; i < l->a_count; i++) l->count[l->a_expert[i]]++;
    l->offset[0] = 0;
    for (int i = 0; i < e; i++) l->offset[i + 1] = l->offset[i] + l->count[i];
    for (int i = 0; i < e; i++) l->count[i] = l->offset[i]; /* now each expert's fill position */
    for (int i = 0; i < l->a_count; i++) l->order[l->count[l->a_expert[i]]++] = i;
    for (int i = 0; i < e; i++) l->count[i] = l->offset[i + 1] - l->offset[i];
}

/* Elementwise.axpy: out += s · x with one fused multiply-add per element. */
static void axpy(float s, const float *x, float *out, int64_t n) {
    for (int64_t i = 0; i < n; i++) out[i] = fmaf(s, x[i], out[i]);
}

/* Dispatch.run: experts in index order, so every token's sum has a fixed order. */
static int dispatch(layer *l, const float *x, float *y) {
    int d = l->o.d;
    group_by_expert(l);
    for (int e = 0; e < l->o.e; e++) {
        int n = l->count[e];
        if (n == 0) continue;
        int first = l->offset[e];
        for (int i = 0; i < n; i++) {
            int token = l->a_token[l->order[first + i]];
            memcpy(l->gathered + (int64_t) i * d, x + (int64_t) token * d, (size_t) d * sizeof(float));
        }
        if (ffn(l, e, n)) return -1;
        for (int i = 0; i < n; i++) {
            int j = l->order[first + i];
            axpy(l->a_weight[j], l->expert_out + (int64_t) i * d, y + (int64_t) l->a_token[j] * d, d);
        }
    }
    return 0;
}

/* MoeLayer.forward: y = 0, route, dispatch. */
static int forward(layer *l, const float *x, float *y) {
    memset(y, 0, (size_t) l->o.tokens * l->o.d * sizeof(float));
    if (route(l, x)) return -1;
    return dispatch(l, x, y);
}

/* ---- main: generate, warm up, time, report ------------------------------------------------------------------ */

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

/* A JSON number, or null for what JSON cannot hold (a NaN or an infinity in y). */
static void print_number(double v) {
    if (isfinite(v)) printf("%.17g", v);
    else fputs("null", stdout);
}

static void print_result(const layer *l, const double *ms, const float *y) {
    double sum = 0, abs_sum = 0; /* row-major order, in double, as the Java side sums its y */
    for (int64_t i = 0; i < (int64_t) l->o.tokens * l->o.d; i++) {
        sum += y[i];
        abs_sum += fabs((double) y[i]);
    }
    fputs("{\"ms\":[", stdout);
    for (int r = 0; r < l->o.repeat; r++) printf(r ? ",%.6f" : "%.6f", ms[r]);
    fputs("],\"expert_load\":[", stdout);
    for (int e = 0; e < l->o.e; e++) printf(e ? ",%" PRId64 : "%" PRId64, l->load[e]);
    fputs("],\"checksum\":", stdout);
    print_number(sum);
    fputs(",\"abs_checksum\":", stdout);
    print_number(abs_sum);
    fputs("}\n", stdout);
    fflush(stdout);
}

/* The warm-up calls, then the timed ones, each the whole forward, timed alone. */
static int run(layer *l, const float *x, float *y, double *ms) {
    for (int i = 0; i < l->o.warmup; i++) {
        if (forward(l, x, y)) return -1;
    }
    for (int i = 0; i < l->o.repeat; i++) {
        double start = now_ms();
        if (forward(l, x, y)) return -1;
        ms[i] = now_ms() - start;
    }
    return 0;
}

int main(int argc, char **argv) {
    options o = {0};
    int usage = parse_options(argc, argv, &o);
    if (usage) return usage;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fputs("moe4j-twin: this CPU lacks AVX2 or FMA, which the twin's kernels (like the Java engine's) use\n", stderr);
        return 1;
    }
    twin_pool *pool = twin_pool_create(o.threads);
    twin_backend *backend = pool == NULL ? NULL : twin_backend_create(pool);
    layer l;
    memset(&l, 0, sizeof l);
    float *x = NULL, *y = NULL;
    double *ms = NULL;
    if (backend != NULL && layer_init(&l, &o, pool, backend) == 0
        && (x = random_tensor(pool, TWIN_F32, o.tokens, o.d, o.seed, STREAM_INPUT, INPUT_SCALE, "the input")) != NULL
        && (y = twin_alloc((size_t) o.tokens * o.d * sizeof(float), "the output")) != NULL
        && (ms = twin_alloc((size_t) o.repeat * sizeof(double), "the timings")) != NULL
        && run(&l, x, y, ms) == 0) {
        print_result(&l, ms, y);
    }
    int status = twin_failed() ? 1 : 0;
    if (status) fprintf(stderr, "moe4j-twin: %s\n", twin_error());
    free(ms);
    free(y);
    free(x);
    layer_free(&l);
    twin_backend_destroy(backend);
    twin_pool_destroy(pool);
    return status;
}
