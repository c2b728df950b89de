/*
 * The BF16 GEMV, y[m, n] = x[m, k] · wᵀ for 1 <= m <= 8, as io.moe4j.engine.backend.cpu.kernels.GemvTask splits
 * it and GemvBf16 computes it — the same algorithm written with AVX2/FMA intrinsics and compiled by gcc -O3. The
 * rows of the benchmark that take this path (BF16 weights, experts with at most 8 tokens) therefore compare our
 * Vector API kernel, as C2 compiles it, with gcc's code for the same loop, not with anything in oneDNN.
 *
 * The algorithm, kept identical so that the results are bit-for-bit those of Java:
 *   - Split (GemvTask.chunks): chunks of whole weight rows, about 256 KiB of weights each, a multiple of 4 rows, at
 *     least one chunk per thread; x is packed once per call: 16 elements of K at a time as their 8 even-indexed
 *     then their 8 odd-indexed values, rows in tiles of up to 4 (Gemv.packX).
 *   - Weights are read 16 bf16 at a time as 8 int32 lanes: the even weights become floats by a left shift of 16,
 *     the odd ones by a right then a left shift; each output is one chain of 8-lane fused multiply-adds (even, then
 *     odd, per group of 16), a fixed tree sum of the 8 lanes, then the last K mod 16 terms one by one (fmaf).
 *   - M = 1 takes 4 weight rows at a time, a quarter of the chunk apart (k1x4); M > 1 takes groups of 4 rows (a
 *     quarter apart), x tiles of up to 4 rows, K in blocks of about 16 KiB of x whose partial sums wait in a
 *     per-thread array, and two weight rows at once for tiles of at most 2 rows.
 */
#define _GNU_SOURCE
#include "twin.h"

#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* GemvTask.CHUNK_BYTES */
#define CHUNK_BYTES (256L * 1024)
/* Gemv.TILE: x rows per tile in the M > 1 kernels. */
#define TILE 4
/* GemvBf16.GROUP: weight rows per group. */
#define GROUP 4

typedef struct {
    float *acc; /* GROUP · 8 · TWIN_GEMV_MAX_ROWS accumulators (Gemv.accumulators) */
} gemv_thread;

struct twin_gemv {
    int threads;
    gemv_thread *per_thread;
    float *xp; /* packed x, shared by all chunks of a call */
    size_t xp_floats;

    /* The operands of the current call (GemvTask's fields). */
    const float *x;
    int m;
    int64_t ldx;
    const uint16_t *w;
    int n, k, kv;
    float *y;
    int64_t ldy;
    int rows_per_chunk;
};

twin_gemv *twin_gemv_create(int threads) {
    twin_gemv *g = calloc(1, sizeof *g);
    if (g == NULL || (g->per_thread = calloc((size_t) threads, sizeof(gemv_thread))) == NULL) {
        free(g);
        twin_fail("cannot allocate the GEMV");
        return NULL;
    }
    g->threads = threads;
    for (int t = 0; t < threads; t++) {
        g->per_thread[t].acc = twin_alloc(GROUP * 8 * TWIN_GEMV_MAX_ROWS * sizeof(float), "GEMV accumulators");
        if (g->per_thread[t].acc == NULL) {
            twin_gemv_destroy(g);
            return NULL;
        }
    }
    return g;
}

void twin_gemv_destroy(twin_gemv *g) {
    if (g == NULL) return;
    for (int t = 0; t < g->threads; t++) free(g->per_thread[t].acc);
    free(g->per_thread);
    free(g->xp);
    free(g);
}

/* ---- packing and sums ---------------------------------------------------------------------------------------- */

/* Gemv.packX with groups of 16: group j of row i of tile [i0, i0 + mt) at i0·kv + j·mt + (i − i0)·16. */
static void pack_x(float *xp, const float *x, int m, int64_t ldx, int kv) {
    for (int i = 0; i < m; i++) {
        int i0 = i - i % TILE, mt = m - i0 < TILE ? m - i0 : TILE;
        const float *row = x + i * ldx;
        for (int j = 0, p = i0 * kv + (i - i0) * 16; j < kv; j += 16, p += mt * 16) {
            for (int l = 0; l < 8; l++) {
                xp[p + l] = row[j + 2 * l];
                xp[p + 8 + l] = row[j + 2 * l + 1];
            }
        }
    }
}

/* Gemv.laneSum: ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)), the order of Java's shuffle tree. */
static inline float lane_sum(const float *a) {
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

static inline float vector_sum(__m256 v) {
    float a[8];
    _mm256_storeu_ps(a, v);
    return lane_sum(a);
}

/* GemvBf16.tail: elements [k0, k) added to s one fused multiply-add at a time. */
static inline float tail(const float *x, const uint16_t *w, int k0, int k, float s) {
    for (int j = k0; j < k; j++) {
        union { uint32_t u; float f; } weight = {(uint32_t) w[j] << 16};
        s = fmaf(x[j], weight.f, s);
    }
    return s;
}

/* 16 bf16 weights as 8 int32 lanes; the even ones and the odd ones as floats. */
static inline __m256 even_weights(__m256i t) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(t, 16));
}

static inline __m256 odd_weights(__m256i t) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_srli_epi32(t, 16), 16));
}

static inline __m256i load16(const uint16_t *w) {
    return _mm256_loadu_si256((const __m256i *) w);
}

/* ---- M = 1 ---------------------------------------------------------------------------------------------------- */

/* GemvBf16.k1x4: weight rows w0 + r·step (outputs y[r·ystep]), r < 4, whole K: 4 independent chains. */
static void k1x4(const float *xp, const float *x, const uint16_t *w0, int64_t step, int k, int kv, float *y,
                 int64_t ystep) {
    const uint16_t *w1 = w0 + step, *w2 = w1 + step, *w3 = w2 + step;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int j = 0; j < kv; j += 16) {
        __m256i t0 = load16(w0 + j), t1 = load16(w1 + j), t2 = load16(w2 + j), t3 = load16(w3 + j);
        __m256 p = _mm256_loadu_ps(xp + j), po = _mm256_loadu_ps(xp + j + 8);
        a0 = _mm256_fmadd_ps(even_weights(t0), p, a0);
        a1 = _mm256_fmadd_ps(even_weights(t1), p, a1);
        a2 = _mm256_fmadd_ps(even_weights(t2), p, a2);
        a3 = _mm256_fmadd_ps(even_weights(t3), p, a3);
        a0 = _mm256_fmadd_ps(odd_weights(t0), po, a0);
        a1 = _mm256_fmadd_ps(odd_weights(t1), po, a1);
        a2 = _mm256_fmadd_ps(odd_weights(t2), po, a2);
        a3 = _mm256_fmadd_ps(odd_weights(t3), po, a3);
    }
    y[0] = tail(x, w0, kv, k, vector_sum(a0));
    y[ystep] = tail(x, w1, kv, k, vector_sum(a1));
    y[2 * ystep] = tail(x, w2, kv, k, vector_sum(a2));
    y[3 * ystep] = tail(x, w3, kv, k, vector_sum(a3));
}

/* GemvBf16.k1x1: one weight row, whole K. */
static void k1x1(const float *xp, const float *x, const uint16_t *w0, int k, int kv, float *y) {
    __m256 a0 = _mm256_setzero_ps();
    for (int j = 0; j < kv; j += 16) {
        __m256i t0 = load16(w0 + j);
        a0 = _mm256_fmadd_ps(even_weights(t0), _mm256_loadu_ps(xp + j), a0);
        a0 = _mm256_fmadd_ps(odd_weights(t0), _mm256_loadu_ps(xp + j + 8), a0);
    }
    *y = tail(x, w0, kv, k, vector_sum(a0));
}

/* ---- M > 1 ---------------------------------------------------------------------------------------------------- */

/*
 * GemvBf16.kb{mt}x{nr}: an x tile of mt rows (packed at xp[p..]) times nr weight rows (w0, w0 + step), elements
 * [k0, k1), continuing the accumulators of weight row r, tile row i at acc[ao + (r·am + i)·8]. mt and nr are
 * constants at every call site, so gcc unrolls the loops into the same register blocking as the Java kernels.
 */
static inline __attribute__((always_inline)) void kernel(const float *xp, int p, const uint16_t *w0, int64_t step,
                                                         int k0, int k1, float *acc, int ao, int am, int mt, int nr) {
    __m256 a[2][TILE];
    for (int r = 0; r < nr; r++) {
        for (int i = 0; i < mt; i++) a[r][i] = _mm256_loadu_ps(acc + ao + (r * am + i) * 8);
    }
    int pb = p - k0 * mt;
    for (int j = k0; j < k1; j += 16) {
        int q = pb + j * mt;
        __m256 even[2], odd[2];
        for (int r = 0; r < nr; r++) {
            __m256i t = load16(w0 + r * step + j);
            even[r] = even_weights(t);
            odd[r] = odd_weights(t);
        }
        for (int i = 0; i < mt; i++) {
            __m256 pe = _mm256_loadu_ps(xp + q + 16 * i);
            for (int r = 0; r < nr; r++) a[r][i] = _mm256_fmadd_ps(even[r], pe, a[r][i]);
        }
        for (int i = 0; i < mt; i++) {
            __m256 po = _mm256_loadu_ps(xp + q + 16 * i + 8);
            for (int r = 0; r < nr; r++) a[r][i] = _mm256_fmadd_ps(odd[r], po, a[r][i]);
        }
    }
    for (int r = 0; r < nr; r++) {
        for (int i = 0; i < mt; i++) _mm256_storeu_ps(acc + ao + (r * am + i) * 8, a[r][i]);
    }
}

/* Gemv.kBlock: elements per K block, about 16 KiB of x, so that a block's x rows stay in L1. */
static int k_block(int m) {
    int b = (4096 / m) & ~7;
    return b > 64 ? b : 64;
}

/* GemvBf16.group: the g weight rows n0 + r·step, r < g, for all m rows of x. */
static void group(twin_gemv *gv, float *acc, int n0, int step, int g) {
    int m = gv->m, k = gv->k, kv = gv->kv;
    int kb_size = k_block(m) & -16;
    memset(acc, 0, (size_t) g * m * 8 * sizeof(float));
    for (int kb = 0; kb < kv; kb += kb_size) {
        int kb_end = kb + kb_size < kv ? kb + kb_size : kv;
        for (int i = 0; i < m; i += TILE) {
            int mt = m - i < TILE ? m - i : TILE, p = i * kv + kb * mt;
            for (int r = 0; r < g;) {
                const uint16_t *wo = gv->w + (int64_t) (n0 + r * step) * k;
                int64_t wstep = (int64_t) step * k;
                int ao = (r * m + i) * 8;
                if (mt <= 2 && r + 2 <= g) {
                    if (mt == 1) kernel(gv->xp, p, wo, wstep, kb, kb_end, acc, ao, m, 1, 2);
                    else kernel(gv->xp, p, wo, wstep, kb, kb_end, acc, ao, m, 2, 2);
                    r += 2;
                } else {
                    switch (mt) {
                        case 1: kernel(gv->xp, p, wo, wstep, kb, kb_end, acc, ao, m, 1, 1); break;
                        case 2: kernel(gv->xp, p, wo, wstep, kb, kb_end, acc, ao, m, 2, 1); break;
                        case 3: kernel(gv->xp, p, wo, wstep, kb, kb_end, acc, ao, m, 3, 1); break;
                        default: kernel(gv->xp, p, wo, wstep, kb, kb_end, acc, ao, m, 4, 1); break;
                    }
                    r++;
                }
            }
        }
    }
    for (int r = 0; r < g; r++) {
        int64_t n = n0 + (int64_t) r * step;
        const uint16_t *wo = gv->w + n * k;
        for (int i = 0; i < m; i++) {
            float s = lane_sum(acc + (r * m + i) * 8);
            gv->y[i * gv->ldy + n] = tail(gv->x + i * gv->ldx, wo, kv, k, s);
        }
    }
}

/* ---- the task ------------------------------------------------------------------------------------------------- */

/* GemvBf16.rows for the weight rows of one chunk. */
static void gemv_chunk(void *context, int chunk, int thread) {
    twin_gemv *gv = context;
    int start = chunk * gv->rows_per_chunk;
    int end = start + gv->rows_per_chunk < gv->n ? start + gv->rows_per_chunk : gv->n;
    int k = gv->k, kv = gv->kv;
    int q = (end - start) / GROUP, rest = start + q * GROUP;
    if (gv->m == 1) {
        for (int n = start; n < start + q; n++) {
            k1x4(gv->xp, gv->x, gv->w + (int64_t) n * k, (int64_t) q * k, k, kv, gv->y + n, q);
        }
        for (int n = rest; n < end; n++) k1x1(gv->xp, gv->x, gv->w + (int64_t) n * k, k, kv, gv->y + n);
        return;
    }
    float *acc = gv->per_thread[thread].acc;
    for (int t = 0; t < q; t++) group(gv, acc, start + t, q, GROUP);
    if (rest < end) group(gv, acc, rest, 1, end - rest);
}

int twin_gemv_run(twin_gemv *gv, twin_pool *pool, const float *x, int m, int64_t ldx, const uint16_t *w, int n,
                  int k, float *y, int64_t ldy) {
    if (m < 1 || m > TWIN_GEMV_MAX_ROWS) return twin_fail("GEMV of %d rows (1 to %d)", m, TWIN_GEMV_MAX_ROWS);
    gv->x = x;
    gv->m = m;
    gv->ldx = ldx;
    gv->w = w;
    gv->n = n;
    gv->k = k;
    gv->kv = k & -16;
    gv->y = y;
    gv->ldy = ldy;
    /* GemvTask.chunks: ~256 KiB of weights per chunk, every thread gets some, a multiple of 4 rows. */
    int64_t row_bytes = (int64_t) k * 2 > 1 ? (int64_t) k * 2 : 1;
    int64_t rows = n;
    if (n * row_bytes > CHUNK_BYTES) { /* else one chunk, run inline: waking threads would cost more */
        int threads = twin_pool_threads(pool);
        rows = (CHUNK_BYTES + row_bytes - 1) / row_bytes;
        int64_t per_thread = (n + threads - 1) / threads;
        if (per_thread < rows) rows = per_thread;
        rows = (rows + 3) & ~3L;
        if (rows > n) rows = n;
    }
    gv->rows_per_chunk = (int) rows;
    int chunks = (int) ((n + rows - 1) / rows);
    size_t floats = (size_t) m * gv->kv;
    if (gv->xp_floats < floats) {
        free(gv->xp);
        gv->xp_floats = 0;
        if ((gv->xp = twin_alloc(floats * sizeof(float) + 64, "the packed GEMV input")) == NULL) return -1;
        gv->xp_floats = floats;
    }
    pack_x(gv->xp, x, m, ldx, gv->kv);
    twin_pool_run(pool, gemv_chunk, gv, chunks);
    return twin_failed() ? -1 : 0;
}
