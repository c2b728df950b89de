/*
 * Matrix products as io.moe4j.engine.backend.cpu.CpuBackend#matmul computes them, on the same oneDNN primitives:
 *
 *   - F32 weights (and BF16 ones for M > TWIN_GEMV_MAX_ROWS) → BlockedMatmul: the N output columns cut into blocks
 *     whose width depends only on the shape (about 2 MiB of f32 weights each), the blocks spread over the worker
 *     pool, each block one single-threaded oneDNN matmul (omp_set_num_threads(1) on the thread that runs it, as
 *     the Java pool threads do). BF16 blocks are first widened to f32 in a per-thread scratch buffer. For 2 to
 *     SWAP_MAX_ROWS rows a block is computed swapped, yᵀ[cols, M] = W[cols, K] · xᵀ[K, M] (x transposed once per
 *     call, yᵀ scattered into y), on a primitive whose token count is left to run time.
 *   - BF16 weights with M <= TWIN_GEMV_MAX_ROWS → the GEMV of twin_gemv.c.
 *
 * The oneDNN objects are those of OneDnnMatmul and MatmulPrimitives: one primitive per (M bucket, block width, K,
 * strides, weight type) — M = 1 gets its own, M up to SWAP_MAX_ROWS shares one swapped primitive (runtime token
 * count), every larger M one runtime-M primitive — with a user-managed scratchpad; per primitive and thread an
 * "execution" (a stream, the memory objects whose data handles are re-pointed at each call, one set per row or
 * token count seen, the scratchpad).
 */
#define _GNU_SOURCE
#include "twin.h"

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* From the libgomp oneDNN is linked with (the bundled one); OpenMP keeps this setting per calling thread. */
extern void omp_set_num_threads(int threads);

/* BlockedMatmul.BLOCK_BYTES: weight bytes (as f32) per block. */
#define BLOCK_BYTES (2L << 20)
/* BlockedMatmul.SWAP_MAX_ROWS: the largest M computed swapped. */
#define SWAP_MAX_ROWS 256
/* OneDnnMatmul.RUNTIME: a dimension or stride given per call. */
#define RUNTIME (-1)
/* Distinct primitives a layer can need: router, w1/w3 and w2, each at M = 1 and runtime M, full and last blocks. */
#define MAX_PRIMITIVES 64

#define DNNL_CHECK(call, what)                                                                                 \
    do {                                                                                                       \
        dnnl_status_t status_ = (call);                                                                        \
        if (status_ != dnnl_success) return dnnl_fail(status_, what);                                          \
    } while (0)

static int dnnl_fail(dnnl_status_t status, const char *what) {
    const char *name = dnnl_status2str(status);
    return twin_fail("oneDNN %s failed: %s (status %d)", what, name ? name : "unknown status", (int) status);
}

/* The mutable half of a primitive, owned by one thread (OneDnnMatmul.Execution). */
typedef struct {
    dnnl_stream_t stream;
    dnnl_memory_t fixed_src; /* NULL when M is left to run time */
    dnnl_memory_t fixed_weights; /* NULL when N is left to run time */
    dnnl_memory_t scratchpad;
    void *scratchpad_buffer;
    /* [capacity]: memory objects for that many rows or tokens, made on first use (the fixed ones repeated) */
    dnnl_memory_t *sized_src;
    dnnl_memory_t *sized_weights;
    dnnl_memory_t *sized_dst;
    int capacity;
    int bound_count;
    dnnl_exec_arg_t args[4];
    int nargs;
} execution;

typedef struct {
    /* dst[M, N] = src[M, K] · W[K, N]; M or N (then also w_stride_k and ld_dst) may be RUNTIME */
    int64_t m, n, k, src_stride_m, src_stride_k, ld_dst, w_stride_k, w_stride_n;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t scratchpad_md; /* NULL without scratchpad */
    size_t scratchpad_bytes;
    execution *executions; /* [threads]; stream NULL until the thread first runs it */
} primitive;

/* One thread's state for the blocked product: the widened BF16 block, a block of yᵀ. */
typedef struct {
    float *widened;
    size_t widened_bytes;
    float *transposed_y;
    size_t transposed_y_bytes;
} per_thread;

struct twin_backend {
    twin_pool *pool;
    int threads;
    dnnl_engine_t engine;
    /* MatmulPrimitives: readers scan [0, count) without a lock; a miss creates under the lock and publishes. */
    primitive *primitives[MAX_PRIMITIVES];
    atomic_int count;
    pthread_mutex_t create_lock;
    per_thread *per_thread;
    float *transposed_x; /* xᵀ of the current swapped product (the calling thread's, CpuBackend.PerThread) */
    size_t transposed_x_bytes;
    twin_gemv *gemv;
};

/* The operands of one blocked product (BlockedMatmul's fields). */
typedef struct {
    twin_backend *backend;
    const float *x;
    int m;
    int64_t ldx;
    const void *w;
    twin_dtype wtype;
    int n, k, columns;
    float *y;
    int64_t ldy;
    int swapped;
    const float *xt; /* [K, M] in the swapped form */
} blocked_product;

/* ---- oneDNN objects ------------------------------------------------------------------------------------------ */

static int64_t placeholder(int64_t v) {
    return v == RUNTIME ? DNNL_RUNTIME_DIM_VAL : v;
}

/* A 2-D memory descriptor; RUNTIME dims and strides become oneDNN's runtime placeholder. */
static int describe(dnnl_memory_desc_t *md, int64_t d0, int64_t d1, int64_t s0, int64_t s1, dnnl_data_type_t type) {
    dnnl_dims_t dims = {placeholder(d0), placeholder(d1)};
    dnnl_dims_t strides = {placeholder(s0), placeholder(s1)};
    DNNL_CHECK(dnnl_memory_desc_create_with_strides(md, 2, dims, type, strides), "dnnl_memory_desc_create_with_strides");
    return 0;
}

static void destroy_md(dnnl_memory_desc_t md) {
    if (md != NULL) dnnl_memory_desc_destroy(md);
}

static int64_t sized(int64_t value, int64_t count) {
    return value == RUNTIME ? count : value;
}

/* The operands' descriptions for `count` rows (M) or tokens (N); RUNTIME for the primitive's own. */
static int src_md(dnnl_memory_desc_t *md, const primitive *p, int64_t count) {
    return describe(md, sized(p->m, count), p->k, p->src_stride_m, p->src_stride_k, dnnl_f32);
}

static int weights_md(dnnl_memory_desc_t *md, const primitive *p, int64_t count) {
    return describe(md, p->k, sized(p->n, count), sized(p->w_stride_k, count), p->w_stride_n, dnnl_f32);
}

static int dst_md(dnnl_memory_desc_t *md, const primitive *p, int64_t count) {
    return describe(md, sized(p->m, count), sized(p->n, count), sized(p->ld_dst, count), 1, dnnl_f32);
}

/* new OneDnnMatmul(...): dst[M, N] = src[M, K] · W[K, N]. */
static primitive *primitive_create(twin_backend *backend, int64_t m, int64_t n, int64_t k, int64_t src_stride_m,
                                   int64_t src_stride_k, int64_t ld_dst, int64_t w_stride_k, int64_t w_stride_n) {
    primitive *p = calloc(1, sizeof *p);
    execution *executions = calloc((size_t) backend->threads, sizeof(execution));
    if (p == NULL || executions == NULL) {
        free(p);
        free(executions);
        twin_fail("cannot allocate a oneDNN matmul");
        return NULL;
    }
    p->m = m;
    p->n = n;
    p->k = k;
    p->src_stride_m = src_stride_m;
    p->src_stride_k = src_stride_k;
    p->ld_dst = ld_dst;
    p->w_stride_k = w_stride_k;
    p->w_stride_n = w_stride_n;
    p->executions = executions;
    dnnl_memory_desc_t smd = NULL, dmd = NULL, wmd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int rc = -1;
    if (src_md(&smd, p, RUNTIME) || dst_md(&dmd, p, RUNTIME) || weights_md(&wmd, p, RUNTIME)) goto out;
    dnnl_status_t s;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) {
        dnnl_fail(s, "dnnl_primitive_attr_create");
        goto out;
    }
    if ((s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)) != dnnl_success) {
        dnnl_fail(s, "dnnl_primitive_attr_set_scratchpad_mode");
        goto out;
    }
    s = dnnl_matmul_primitive_desc_create(&pd, backend->engine, smd, wmd, NULL, dmd, attr);
    if (s != dnnl_success) {
        twin_fail("oneDNN dnnl_matmul_primitive_desc_create(M=%ld N=%ld K=%ld) failed: %s", (long) m, (long) n,
                  (long) k, dnnl_status2str(s));
        pd = NULL;
        goto out;
    }
    const_dnnl_memory_desc_t scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    p->scratchpad_bytes = scratch == NULL ? 0 : dnnl_memory_desc_get_size(scratch);
    if (p->scratchpad_bytes > 0
        && describe(&p->scratchpad_md, (int64_t) p->scratchpad_bytes, 1, 1, 1, dnnl_u8)) {
        goto out;
    }
    if ((s = dnnl_primitive_create(&p->primitive, pd)) != dnnl_success) {
        dnnl_fail(s, "dnnl_primitive_create");
        p->primitive = NULL;
        goto out;
    }
    rc = 0;
out:
    if (pd != NULL) dnnl_primitive_desc_destroy(pd);
    if (attr != NULL) dnnl_primitive_attr_destroy(attr);
    destroy_md(smd);
    destroy_md(dmd);
    destroy_md(wmd);
    if (rc != 0) {
        destroy_md(p->scratchpad_md);
        free(p->executions);
        free(p);
        return NULL;
    }
    return p;
}

static void execution_destroy(execution *e) {
    if (e->stream == NULL) return;
    for (int c = 0; c < e->capacity; c++) {
        if (e->sized_src[c] != NULL && e->sized_src[c] != e->fixed_src) dnnl_memory_destroy(e->sized_src[c]);
        if (e->sized_weights[c] != NULL && e->sized_weights[c] != e->fixed_weights) {
            dnnl_memory_destroy(e->sized_weights[c]);
        }
        if (e->sized_dst[c] != NULL) dnnl_memory_destroy(e->sized_dst[c]);
    }
    free(e->sized_src);
    free(e->sized_weights);
    free(e->sized_dst);
    if (e->fixed_src != NULL) dnnl_memory_destroy(e->fixed_src);
    if (e->fixed_weights != NULL) dnnl_memory_destroy(e->fixed_weights);
    if (e->scratchpad != NULL) dnnl_memory_destroy(e->scratchpad);
    free(e->scratchpad_buffer);
    dnnl_stream_destroy(e->stream);
    memset(e, 0, sizeof *e);
}

static void primitive_destroy(twin_backend *backend, primitive *p) {
    for (int t = 0; t < backend->threads; t++) execution_destroy(&p->executions[t]);
    free(p->executions);
    if (p->primitive != NULL) dnnl_primitive_destroy(p->primitive);
    destroy_md(p->scratchpad_md);
    free(p);
}

static int same(const primitive *e, int64_t m, int64_t n, int64_t k, int64_t src_stride_m, int64_t src_stride_k,
                int64_t ld_dst, int64_t w_stride_k, int64_t w_stride_n) {
    return e->m == m && e->n == n && e->k == k && e->src_stride_m == src_stride_m && e->src_stride_k == src_stride_k
           && e->ld_dst == ld_dst && e->w_stride_k == w_stride_k && e->w_stride_n == w_stride_n;
}

/* MatmulPrimitives.find / create: readers scan without the lock, a miss creates under it. */
static primitive *primitive_find_or_create(twin_backend *backend, int64_t m, int64_t n, int64_t k,
                                           int64_t src_stride_m, int64_t src_stride_k, int64_t ld_dst,
                                           int64_t w_stride_k, int64_t w_stride_n) {
    int count = atomic_load_explicit(&backend->count, memory_order_acquire);
    for (int i = 0; i < count; i++) {
        primitive *e = backend->primitives[i];
        if (same(e, m, n, k, src_stride_m, src_stride_k, ld_dst, w_stride_k, w_stride_n)) return e;
    }
    pthread_mutex_lock(&backend->create_lock);
    primitive *found = NULL;
    count = atomic_load_explicit(&backend->count, memory_order_relaxed);
    for (int i = 0; i < count && found == NULL; i++) { /* another thread may have made it meanwhile */
        primitive *e = backend->primitives[i];
        if (same(e, m, n, k, src_stride_m, src_stride_k, ld_dst, w_stride_k, w_stride_n)) found = e;
    }
    if (found == NULL) {
        if (count == MAX_PRIMITIVES) {
            twin_fail("more than %d distinct oneDNN matmul shapes", MAX_PRIMITIVES);
        } else if ((found = primitive_create(backend, m, n, k, src_stride_m, src_stride_k, ld_dst, w_stride_k,
                                             w_stride_n)) != NULL) {
            backend->primitives[count] = found;
            atomic_store_explicit(&backend->count, count + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&backend->create_lock);
    return found;
}

/* MatmulPrimitives.get: M = 1 has a primitive of its own, every larger M shares a runtime-M one. */
static primitive *primitive_get(twin_backend *backend, int rows, int64_t n, int64_t k, int64_t ld_src,
                                int64_t ld_dst, int64_t w_stride_k, int64_t w_stride_n) {
    return primitive_find_or_create(backend, rows == 1 ? 1 : RUNTIME, n, k, ld_src, 1, ld_dst, w_stride_k,
                                    w_stride_n);
}

/* MatmulPrimitives.swapped: yᵀ[cols, T] = W[cols, K] · xᵀ[K, T], T given per call. */
static primitive *primitive_swapped(twin_backend *backend, int64_t cols, int64_t k, int64_t w_stride_row,
                                    int64_t w_stride_k) {
    return primitive_find_or_create(backend, cols, RUNTIME, k, w_stride_row, w_stride_k, RUNTIME, RUNTIME, 1);
}

static int new_memory(twin_backend *backend, dnnl_memory_t *memory, const_dnnl_memory_desc_t md, void *handle) {
    DNNL_CHECK(dnnl_memory_create(memory, md, backend->engine, handle), "dnnl_memory_create");
    return 0;
}

static int execution_bind(twin_backend *backend, primitive *p, execution *e, int count);

/* A memory object for the description (destroyed here), no data yet. */
static int new_sized_memory(twin_backend *backend, dnnl_memory_t *memory, dnnl_memory_desc_t md) {
    int rc = new_memory(backend, memory, md, NULL);
    destroy_md(md);
    return rc;
}

/* OneDnnMatmul.Execution(): the thread's stream, fixed operands and scratchpad memory, argument list. */
static int execution_init(twin_backend *backend, primitive *p, execution *e) {
    DNNL_CHECK(dnnl_stream_create(&e->stream, backend->engine, dnnl_stream_default_flags), "dnnl_stream_create");
    e->bound_count = -1;
    dnnl_memory_desc_t md = NULL;
    if (p->m != RUNTIME && (src_md(&md, p, 0) || new_sized_memory(backend, &e->fixed_src, md))) return -1;
    if (p->n != RUNTIME && (weights_md(&md, p, 0) || new_sized_memory(backend, &e->fixed_weights, md))) return -1;
    if (p->scratchpad_md != NULL) {
        e->scratchpad_buffer = twin_alloc(p->scratchpad_bytes, "a oneDNN scratchpad");
        if (e->scratchpad_buffer == NULL) return -1;
        if (new_memory(backend, &e->scratchpad, p->scratchpad_md, e->scratchpad_buffer)) return -1;
    }
    e->nargs = e->scratchpad == NULL ? 3 : 4;
    e->args[0] = (dnnl_exec_arg_t) {DNNL_ARG_SRC, NULL};
    e->args[1] = (dnnl_exec_arg_t) {DNNL_ARG_WEIGHTS, NULL};
    e->args[2] = (dnnl_exec_arg_t) {DNNL_ARG_DST, NULL};
    if (e->scratchpad != NULL) e->args[3] = (dnnl_exec_arg_t) {DNNL_ARG_SCRATCHPAD, e->scratchpad};
    return p->m == RUNTIME || p->n == RUNTIME ? 0 : execution_bind(backend, p, e, (int) p->m);
}

/* Execution.bind: memory objects for this many rows or tokens, made the first time the count is seen. */
static int execution_bind(twin_backend *backend, primitive *p, execution *e, int count) {
    if (count >= e->capacity) {
        int capacity = count + 1 > 2 * e->capacity ? count + 1 : 2 * e->capacity;
        dnnl_memory_t **arrays[3] = {&e->sized_src, &e->sized_weights, &e->sized_dst};
        for (int a = 0; a < 3; a++) {
            dnnl_memory_t *grown = realloc(*arrays[a], (size_t) capacity * sizeof *grown);
            if (grown == NULL) return twin_fail("cannot allocate oneDNN memory objects");
            for (int c = e->capacity; c < capacity; c++) grown[c] = NULL;
            *arrays[a] = grown;
        }
        e->capacity = capacity;
    }
    if (e->sized_dst[count] == NULL) {
        dnnl_memory_desc_t md = NULL;
        if (e->fixed_src != NULL) e->sized_src[count] = e->fixed_src;
        else if (src_md(&md, p, count) || new_sized_memory(backend, &e->sized_src[count], md)) return -1;
        if (e->fixed_weights != NULL) e->sized_weights[count] = e->fixed_weights;
        else if (weights_md(&md, p, count) || new_sized_memory(backend, &e->sized_weights[count], md)) return -1;
        if (dst_md(&md, p, count) || new_sized_memory(backend, &e->sized_dst[count], md)) return -1;
    }
    e->args[0].memory = e->sized_src[count];
    e->args[1].memory = e->sized_weights[count];
    e->args[2].memory = e->sized_dst[count];
    e->bound_count = count;
    return 0;
}

/* OneDnnMatmul.execute on the calling thread's execution: point the handles, execute, wait. */
static int primitive_execute(twin_backend *backend, primitive *p, int thread, const float *src, int count,
                             const float *weights, float *dst) {
    execution *e = &p->executions[thread];
    if (e->stream == NULL && execution_init(backend, p, e)) return -1;
    if (count != e->bound_count) {
        if (p->m != RUNTIME && p->n != RUNTIME) return twin_fail("%d rows for a primitive of M=%ld", count, (long) p->m);
        if (execution_bind(backend, p, e, count)) return -1;
    }
    DNNL_CHECK(dnnl_memory_set_data_handle(e->args[0].memory, (void *) src), "dnnl_memory_set_data_handle");
    DNNL_CHECK(dnnl_memory_set_data_handle(e->args[1].memory, (void *) weights), "dnnl_memory_set_data_handle");
    DNNL_CHECK(dnnl_memory_set_data_handle(e->args[2].memory, dst), "dnnl_memory_set_data_handle");
    DNNL_CHECK(dnnl_primitive_execute(p->primitive, e->stream, e->nargs, e->args), "dnnl_primitive_execute");
    DNNL_CHECK(dnnl_stream_wait(e->stream), "dnnl_stream_wait");
    return 0;
}

/* ---- the blocked product ------------------------------------------------------------------------------------ */

/* BlockedMatmul.blockColumns: a function of the shape only, never of the thread count. */
static int block_columns(int64_t n, int64_t k) {
    int64_t cols = BLOCK_BYTES / (4 * (k > 1 ? k : 1));
    cols = cols & ~15L;
    if (cols < 16) cols = 16;
    return (int) (cols < n ? cols : n);
}

/* A scratch buffer grown to at least `bytes`, never shrunk (CpuBackend.PerThread's buffers). */
static float *grow(float **buffer, size_t *size, size_t bytes, const char *what) {
    if (*size < bytes) {
        free(*buffer);
        *size = 0;
        *buffer = twin_alloc(bytes, what);
        if (*buffer == NULL) return NULL;
        *size = bytes;
    }
    return *buffer;
}

/* The thread's f32 scratch for one widened block. */
static float *widen_scratch(twin_backend *backend, int thread, size_t bytes) {
    per_thread *t = &backend->per_thread[thread];
    return grow(&t->widened, &t->widened_bytes, bytes, "the widened weight block");
}

/* BF16 → f32 is exact: the bf16 bits are the upper half of the float's (Convert.bf16ToF32). */
static void bf16_to_f32(const uint16_t *src, float *dst, size_t count) {
    uint32_t *out = (uint32_t *) dst;
    for (size_t i = 0; i < count; i++) out[i] = (uint32_t) src[i] << 16;
}

/* BlockedMatmul.run: output columns [c0, c0 + cols) of y, one single-threaded oneDNN call. */
static void blocked_block(void *context, int block, int thread) {
    blocked_product *b = context;
    if (twin_failed()) return;
    twin_backend *backend = b->backend;
    int c0 = block * b->columns;
    int cols = b->n - c0 < b->columns ? b->n - c0 : b->columns;
    const float *weights;
    if (b->wtype == TWIN_F32) {
        weights = (const float *) b->w + (int64_t) c0 * b->k;
    } else {
        float *widened = widen_scratch(backend, thread, (size_t) cols * b->k * 4);
        if (widened == NULL) return;
        bf16_to_f32((const uint16_t *) b->w + (int64_t) c0 * b->k, widened, (size_t) cols * b->k);
        weights = widened;
    }
    omp_set_num_threads(1); /* CpuBackend.singleThreadedOneDnn: our pool supplies the parallelism */
    if (!b->swapped) {
        primitive *p = primitive_get(backend, b->m, cols, b->k, b->ldx, b->ldy, 1, b->k);
        if (p == NULL) return;
        primitive_execute(backend, p, thread, b->x, b->m, weights, b->y + c0);
        return;
    }
    float *yt = grow(&backend->per_thread[thread].transposed_y, &backend->per_thread[thread].transposed_y_bytes,
                     (size_t) cols * b->m * 4, "a block of y transposed");
    primitive *p = yt == NULL ? NULL : primitive_swapped(backend, cols, b->k, b->k, 1);
    if (p == NULL || primitive_execute(backend, p, thread, weights, b->m, b->xt, yt)) return;
    for (int i = 0; i < b->m; i++) { /* BlockedMatmul.scatterY */
        float *row = b->y + i * b->ldy + c0;
        for (int c = 0; c < cols; c++) row[c] = yt[(int64_t) c * b->m + i];
    }
}

int twin_matmul(twin_backend *backend, const float *x, int m, int64_t ldx, const void *w, twin_dtype wtype,
                int n, int k, float *y, int64_t ldy) {
    if (m == 0 || n == 0) return 0;
    if (wtype != TWIN_F32 && m <= TWIN_GEMV_MAX_ROWS) {
        return twin_gemv_run(backend->gemv, backend->pool, x, m, ldx, w, n, k, y, ldy);
    }
    blocked_product b = {backend, x, m, ldx, w, wtype, n, k, block_columns(n, k), y, ldy, m >= 2 && m <= SWAP_MAX_ROWS,
                         NULL};
    if (b.swapped) { /* BlockedMatmul.transposeX, on the calling thread */
        float *xt = grow(&backend->transposed_x, &backend->transposed_x_bytes, (size_t) m * k * 4, "x transposed");
        if (xt == NULL) return -1;
        for (int i = 0; i < m; i++) {
            for (int kk = 0; kk < k; kk++) xt[(int64_t) kk * m + i] = x[i * ldx + kk];
        }
        b.xt = xt;
    }
    int blocks = (n + b.columns - 1) / b.columns;
    twin_pool_run(backend->pool, blocked_block, &b, blocks);
    return twin_failed() ? -1 : 0;
}

/* ---- the backend -------------------------------------------------------------------------------------------- */

twin_backend *twin_backend_create(twin_pool *pool) {
    twin_backend *backend = calloc(1, sizeof *backend);
    if (backend == NULL) {
        twin_fail("cannot allocate the backend");
        return NULL;
    }
    backend->pool = pool;
    backend->threads = twin_pool_threads(pool);
    pthread_mutex_init(&backend->create_lock, NULL);
    backend->per_thread = calloc((size_t) backend->threads, sizeof(per_thread));
    if (backend->per_thread == NULL) {
        twin_fail("cannot allocate the backend");
        twin_backend_destroy(backend);
        return NULL;
    }
    dnnl_status_t s = dnnl_engine_create(&backend->engine, dnnl_cpu, 0);
    if (s != dnnl_success) {
        backend->engine = NULL;
        dnnl_fail(s, "dnnl_engine_create");
        twin_backend_destroy(backend);
        return NULL;
    }
    backend->gemv = twin_gemv_create(backend->threads);
    if (backend->gemv == NULL) {
        twin_backend_destroy(backend);
        return NULL;
    }
    return backend;
}

void twin_backend_destroy(twin_backend *backend) {
    if (backend == NULL) return;
    int count = atomic_load(&backend->count);
    for (int i = 0; i < count; i++) primitive_destroy(backend, backend->primitives[i]);
    if (backend->per_thread != NULL) {
        for (int t = 0; t < backend->threads; t++) {
            free(backend->per_thread[t].widened);
            free(backend->per_thread[t].transposed_y);
        }
        free(backend->per_thread);
    }
    free(backend->transposed_x);
    twin_gemv_destroy(backend->gemv);
    if (backend->engine != NULL) dnnl_engine_destroy(backend->engine);
    pthread_mutex_destroy(&backend->create_lock);
    free(backend);
}
