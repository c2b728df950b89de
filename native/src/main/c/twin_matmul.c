/*
 * Matrix products as io.moe4j.engine.backend.cpu.CpuBackend#matmul computes them, on the same oneDNN primitives:
 *
 *   - F32 weights (and BF16 ones for M > TWIN_GEMV_MAX_ROWS) → BlockedMatmul: the N output columns cut into blocks
 *     whose width depends only on the shape (about 2 MiB of f32 weights each), the blocks spread over the worker
 *     pool, each block one single-threaded oneDNN matmul (omp_set_num_threads(1) on the thread that runs it, as
 *     the Java pool threads do). BF16 blocks are first widened to f32 in a per-thread scratch buffer.
 *   - BF16 weights with M <= TWIN_GEMV_MAX_ROWS → the GEMV of twin_gemv.c.
 *
 * The oneDNN objects are those of OneDnnMatmul and MatmulPrimitives: one primitive per (M bucket, block width, K,
 * leading dimensions, weight type, weight strides) — M = 1 gets its own, every larger M shares one runtime-M
 * primitive — with a user-managed scratchpad; per primitive and thread an "execution" (a stream, the memory
 * objects whose data handles are re-pointed at each call, one src/dst pair per row count seen, the scratchpad).
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
/* OneDnnMatmul.RUNTIME_M */
#define RUNTIME_M (-1)
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
    dnnl_memory_t weights;
    dnnl_memory_t scratchpad;
    void *scratchpad_buffer;
    dnnl_memory_t *row_src; /* [rows_capacity], memory objects for that many rows, made on first use */
    dnnl_memory_t *row_dst;
    int rows_capacity;
    int bound_rows;
    dnnl_exec_arg_t args[4];
    int nargs;
} execution;

typedef struct {
    int m; /* rows, or RUNTIME_M */
    int64_t n, k, ld_src, ld_dst, w_stride_k, w_stride_n;
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t weights_md;
    dnnl_memory_desc_t scratchpad_md; /* NULL without scratchpad */
    size_t scratchpad_bytes;
    execution *executions; /* [threads]; stream NULL until the thread first runs it */
} primitive;

/* One thread's state for the blocked product: the widened BF16 block. */
typedef struct {
    float *widened;
    size_t widened_bytes;
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
} blocked_product;

/* ---- oneDNN objects ------------------------------------------------------------------------------------------ */

static int describe(dnnl_memory_desc_t *md, int64_t d0, int64_t d1, int64_t s0, int64_t s1, dnnl_data_type_t type) {
    dnnl_dims_t dims = {d0, d1};
    dnnl_dims_t strides = {s0, s1};
    DNNL_CHECK(dnnl_memory_desc_create_with_strides(md, 2, dims, type, strides), "dnnl_memory_desc_create_with_strides");
    return 0;
}

static void destroy_md(dnnl_memory_desc_t md) {
    if (md != NULL) dnnl_memory_desc_destroy(md);
}

/* new OneDnnMatmul(...): dst[M, N] = src[M, K] · W[K, N], W's memory [N, K] row-major (strides (1, K)). */
static primitive *primitive_create(twin_backend *backend, int m, int64_t n, int64_t k, int64_t ld_src,
                                   int64_t ld_dst, int64_t w_stride_k, int64_t w_stride_n) {
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
    p->ld_src = ld_src;
    p->ld_dst = ld_dst;
    p->w_stride_k = w_stride_k;
    p->w_stride_n = w_stride_n;
    p->executions = executions;
    int64_t rows = m == RUNTIME_M ? DNNL_RUNTIME_DIM_VAL : m;
    dnnl_memory_desc_t src_md = NULL, dst_md = NULL;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    int rc = -1;
    if (describe(&src_md, rows, k, ld_src, 1, dnnl_f32) || describe(&dst_md, rows, n, ld_dst, 1, dnnl_f32)
        || describe(&p->weights_md, k, n, w_stride_k, w_stride_n, dnnl_f32)) {
        goto out;
    }
    dnnl_status_t s;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) {
        dnnl_fail(s, "dnnl_primitive_attr_create");
        goto out;
    }
    if ((s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)) != dnnl_success) {
        dnnl_fail(s, "dnnl_primitive_attr_set_scratchpad_mode");
        goto out;
    }
    s = dnnl_matmul_primitive_desc_create(&pd, backend->engine, src_md, p->weights_md, NULL, dst_md, attr);
    if (s != dnnl_success) {
        twin_fail("oneDNN dnnl_matmul_primitive_desc_create(M=%d N=%ld K=%ld) failed: %s", m, (long) n, (long) k,
                  dnnl_status2str(s));
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
    destroy_md(src_md);
    destroy_md(dst_md);
    if (rc != 0) {
        destroy_md(p->weights_md);
        destroy_md(p->scratchpad_md);
        free(p->executions);
        free(p);
        return NULL;
    }
    return p;
}

static void execution_destroy(execution *e) {
    if (e->stream == NULL) return;
    for (int r = 0; r < e->rows_capacity; r++) {
        if (e->row_src[r] != NULL) dnnl_memory_destroy(e->row_src[r]);
        if (e->row_dst[r] != NULL) dnnl_memory_destroy(e->row_dst[r]);
    }
    free(e->row_src);
    free(e->row_dst);
    if (e->weights != NULL) dnnl_memory_destroy(e->weights);
    if (e->scratchpad != NULL) dnnl_memory_destroy(e->scratchpad);
    free(e->scratchpad_buffer);
    dnnl_stream_destroy(e->stream);
    memset(e, 0, sizeof *e);
}

static void primitive_destroy(twin_backend *backend, primitive *p) {
    for (int t = 0; t < backend->threads; t++) execution_destroy(&p->executions[t]);
    free(p->executions);
    if (p->primitive != NULL) dnnl_primitive_destroy(p->primitive);
    destroy_md(p->weights_md);
    destroy_md(p->scratchpad_md);
    free(p);
}

/* MatmulPrimitives.get: M = 1 has a primitive of its own, every larger M shares a runtime-M one. */
static primitive *primitive_get(twin_backend *backend, int rows, int64_t n, int64_t k, int64_t ld_src,
                                int64_t ld_dst, int64_t w_stride_k, int64_t w_stride_n) {
    int m = rows == 1 ? 1 : RUNTIME_M;
    int count = atomic_load_explicit(&backend->count, memory_order_acquire);
    for (int i = 0; i < count; i++) {
        primitive *e = backend->primitives[i];
        if (e->m == m && e->n == n && e->k == k && e->ld_src == ld_src && e->ld_dst == ld_dst
            && e->w_stride_k == w_stride_k && e->w_stride_n == w_stride_n) {
            return e;
        }
    }
    pthread_mutex_lock(&backend->create_lock);
    primitive *found = NULL;
    count = atomic_load_explicit(&backend->count, memory_order_relaxed);
    for (int i = 0; i < count && found == NULL; i++) { /* another thread may have made it meanwhile */
        primitive *e = backend->primitives[i];
        if (e->m == m && e->n == n && e->k == k && e->ld_src == ld_src && e->ld_dst == ld_dst
            && e->w_stride_k == w_stride_k && e->w_stride_n == w_stride_n) {
            found = e;
        }
    }
    if (found == NULL) {
        if (count == MAX_PRIMITIVES) {
            twin_fail("more than %d distinct oneDNN matmul shapes", MAX_PRIMITIVES);
        } else if ((found = primitive_create(backend, m, n, k, ld_src, ld_dst, w_stride_k, w_stride_n)) != NULL) {
            backend->primitives[count] = found;
            atomic_store_explicit(&backend->count, count + 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&backend->create_lock);
    return found;
}

static int new_memory(twin_backend *backend, dnnl_memory_t *memory, const_dnnl_memory_desc_t md, void *handle) {
    DNNL_CHECK(dnnl_memory_create(memory, md, backend->engine, handle), "dnnl_memory_create");
    return 0;
}

static int execution_bind(twin_backend *backend, primitive *p, execution *e, int rows);

/* OneDnnMatmul.Execution(): the thread's stream, weights and scratchpad memory, argument list. */
static int execution_init(twin_backend *backend, primitive *p, execution *e) {
    DNNL_CHECK(dnnl_stream_create(&e->stream, backend->engine, dnnl_stream_default_flags), "dnnl_stream_create");
    e->bound_rows = -1;
    if (new_memory(backend, &e->weights, p->weights_md, NULL)) return -1;
    if (p->scratchpad_md != NULL) {
        e->scratchpad_buffer = twin_alloc(p->scratchpad_bytes, "a oneDNN scratchpad");
        if (e->scratchpad_buffer == NULL) return -1;
        if (new_memory(backend, &e->scratchpad, p->scratchpad_md, e->scratchpad_buffer)) return -1;
    }
    e->nargs = e->scratchpad == NULL ? 3 : 4;
    e->args[0] = (dnnl_exec_arg_t) {DNNL_ARG_SRC, NULL};
    e->args[1] = (dnnl_exec_arg_t) {DNNL_ARG_WEIGHTS, e->weights};
    e->args[2] = (dnnl_exec_arg_t) {DNNL_ARG_DST, NULL};
    if (e->scratchpad != NULL) e->args[3] = (dnnl_exec_arg_t) {DNNL_ARG_SCRATCHPAD, e->scratchpad};
    return p->m == RUNTIME_M ? 0 : execution_bind(backend, p, e, p->m);
}

/* Execution.bind: src and dst memory objects for this many rows, made the first time the count is seen. */
static int execution_bind(twin_backend *backend, primitive *p, execution *e, int rows) {
    if (rows >= e->rows_capacity) {
        int capacity = rows + 1 > 2 * e->rows_capacity ? rows + 1 : 2 * e->rows_capacity;
        dnnl_memory_t *src = realloc(e->row_src, (size_t) capacity * sizeof *src);
        if (src == NULL) return twin_fail("cannot allocate oneDNN memory objects");
        e->row_src = src;
        dnnl_memory_t *dst = realloc(e->row_dst, (size_t) capacity * sizeof *dst);
        if (dst == NULL) return twin_fail("cannot allocate oneDNN memory objects");
        e->row_dst = dst;
        for (int r = e->rows_capacity; r < capacity; r++) e->row_src[r] = e->row_dst[r] = NULL;
        e->rows_capacity = capacity;
    }
    if (e->row_src[rows] == NULL) {
        dnnl_memory_desc_t src_md = NULL, dst_md = NULL;
        int rc = describe(&src_md, rows, p->k, p->ld_src, 1, dnnl_f32);
        if (rc == 0) rc = describe(&dst_md, rows, p->n, p->ld_dst, 1, dnnl_f32);
        if (rc == 0) rc = new_memory(backend, &e->row_src[rows], src_md, NULL);
        if (rc == 0) rc = new_memory(backend, &e->row_dst[rows], dst_md, NULL);
        destroy_md(src_md);
        destroy_md(dst_md);
        if (rc != 0) return rc;
    }
    e->args[0].memory = e->row_src[rows];
    e->args[2].memory = e->row_dst[rows];
    e->bound_rows = rows;
    return 0;
}

/* OneDnnMatmul.execute on the calling thread's execution: point the handles, execute, wait. */
static int primitive_execute(twin_backend *backend, primitive *p, int thread, const float *src, int rows,
                             const float *weights, float *dst) {
    execution *e = &p->executions[thread];
    if (e->stream == NULL && execution_init(backend, p, e)) return -1;
    if (rows != e->bound_rows) {
        if (p->m != RUNTIME_M) return twin_fail("%d rows for a primitive of M=%d", rows, p->m);
        if (execution_bind(backend, p, e, rows)) return -1;
    }
    DNNL_CHECK(dnnl_memory_set_data_handle(e->args[0].memory, (void *) src), "dnnl_memory_set_data_handle");
    DNNL_CHECK(dnnl_memory_set_data_handle(e->weights, (void *) weights), "dnnl_memory_set_data_handle");
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

/* The thread's f32 scratch for one widened block (CpuBackend.PerThread.widened: grown, never shrunk). */
static float *widen_scratch(twin_backend *backend, int thread, size_t bytes) {
    per_thread *t = &backend->per_thread[thread];
    if (t->widened_bytes < bytes) {
        free(t->widened);
        t->widened_bytes = 0;
        t->widened = twin_alloc(bytes, "the widened weight block");
        if (t->widened == NULL) return NULL;
        t->widened_bytes = bytes;
    }
    return t->widened;
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
    primitive *p = primitive_get(backend, b->m, cols, b->k, b->ldx, b->ldy, 1, b->k);
    if (p == NULL) return;
    primitive_execute(backend, p, thread, b->x, b->m, weights, b->y + c0);
}

int twin_matmul(twin_backend *backend, const float *x, int m, int64_t ldx, const void *w, twin_dtype wtype,
                int n, int k, float *y, int64_t ldy) {
    if (m == 0 || n == 0) return 0;
    if (wtype != TWIN_F32 && m <= TWIN_GEMV_MAX_ROWS) {
        return twin_gemv_run(backend->gemv, backend->pool, x, m, ldx, w, n, k, y, ldy);
    }
    blocked_product b = {backend, x, m, ldx, w, wtype, n, k, block_columns(n, k), y, ldy};
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
        for (int t = 0; t < backend->threads; t++) free(backend->per_thread[t].widened);
        free(backend->per_thread);
    }
    twin_gemv_destroy(backend->gemv);
    if (backend->engine != NULL) dnnl_engine_destroy(backend->engine);
    pthread_mutex_destroy(&backend->create_lock);
    free(backend);
}
