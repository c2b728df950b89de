/*
 * moe4j's C twin: the MoE layer of `moe4j bench` written in C over the same oneDNN primitives, so that the ratio
 * of the Java engine's time to this program's time measures what the JVM (FFM downcalls, Vector API, our worker
 * pool in Java) costs. Every piece mirrors a Java class; the comments name it. Read moe4j_twin.c first.
 *
 * This header declares what the four files share: the first-error record, the worker pool (twin_pool.c), the
 * matrix products (twin_matmul.c: oneDNN column blocks; twin_gemv.c: the BF16 GEMV).
 */
#ifndef MOE4J_TWIN_H
#define MOE4J_TWIN_H

#include <stddef.h>
#include <stdint.h>

/* ---- errors ------------------------------------------------------------------------------------------------ */

/*
 * The first failure of a run, kept as a message: worker threads cannot print and exit while other threads use
 * the same buffers, so they record it here, later chunks see twin_failed() and skip their work, and main() prints
 * the message, frees everything and exits with status 1. Returns -1 so that callers can `return twin_fail(...)`.
 */
int twin_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));
int twin_failed(void);
const char *twin_error(void);

/* ---- worker pool (io.moe4j.engine.backend.cpu.WorkerPool) ------------------------------------------------- */

/* One chunk of a data-parallel task; `thread` (0 = the caller) indexes per-thread state. */
typedef void (*twin_task)(void *context, int chunk, int thread);

typedef struct twin_pool twin_pool;

twin_pool *twin_pool_create(int threads); /* NULL after twin_fail() */
int twin_pool_threads(const twin_pool *pool);
/* Runs task(context, c, thread) for every c in [0, chunks); returns when all are done. */
void twin_pool_run(twin_pool *pool, twin_task task, void *context, int chunks);
void twin_pool_destroy(twin_pool *pool);

/* ---- matrix products (io.moe4j.engine.backend.cpu.CpuBackend#matmul) -------------------------------------- */

typedef enum { TWIN_F32, TWIN_BF16 } twin_dtype;

typedef struct twin_backend twin_backend;

twin_backend *twin_backend_create(twin_pool *pool); /* NULL after twin_fail() */
void twin_backend_destroy(twin_backend *backend);

/*
 * y[m, n] = x[m, k] · wᵀ, w the row-major [n, k] weights (Hugging Face layout) in F32 or BF16, rows of x and y
 * ldx and ldy floats apart. F32 weights, and BF16 ones for m > TWIN_GEMV_MAX_ROWS, go to oneDNN as column
 * blocks (twin_matmul.c); BF16 with few rows to the GEMV (twin_gemv.c). Returns 0, or -1 after twin_fail().
 */
int twin_matmul(twin_backend *backend, const float *x, int m, int64_t ldx, const void *w, twin_dtype wtype,
                int n, int k, float *y, int64_t ldy);

/* CpuBackend.BF16_GEMV_MAX_ROWS (the twin has no F16 weights). */
#define TWIN_GEMV_MAX_ROWS 7

/* ---- BF16 GEMV (io.moe4j.engine.backend.cpu.kernels.GemvTask, Gemv, GemvBf16) ---------------------------- */

typedef struct twin_gemv twin_gemv;

twin_gemv *twin_gemv_create(int threads); /* NULL after twin_fail() */
void twin_gemv_destroy(twin_gemv *gemv);
/* y[m, n] = x[m, k] · wᵀ for BF16 w [n, k], 1 <= m <= TWIN_GEMV_MAX_ROWS, split over the pool. */
int twin_gemv_run(twin_gemv *gemv, twin_pool *pool, const float *x, int m, int64_t ldx, const uint16_t *w,
                  int n, int k, float *y, int64_t ldy);

/* ---- memory ------------------------------------------------------------------------------------------------ */

/* 64-byte aligned allocation (as the Java arenas allocate tensors); NULL after twin_fail() naming `what`. */
void *twin_alloc(size_t bytes, const char *what);

#endif
