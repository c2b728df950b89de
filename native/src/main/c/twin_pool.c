/*
 * The worker pool, as io.moe4j.engine.backend.cpu.WorkerPool does it, so that both programs hand out work the
 * same way: `threads - 1` worker threads plus the calling thread, chunks claimed from an atomic counter (a slow
 * thread simply takes fewer), workers that spin about 50 µs after each run (PAUSE, like Thread.onSpinWait) before
 * they sleep, and a caller that spins the same way while it waits for the last worker. A run of one chunk, or on a
 * pool of one thread, runs inline on the caller.
 */
#define _GNU_SOURCE
#include "twin.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* WorkerPool.SPIN_NANOS */
#define SPIN_NANOS 50000L

typedef struct {
    twin_pool *pool;
    int index; /* 1..threads-1; the caller is 0 */
    pthread_t thread;
    atomic_int parked;
    int started;
} worker;

struct twin_pool {
    int threads;
    worker *workers;

    /* The current run: written by the caller before it publishes a new generation. */
    twin_task task;
    void *context;
    int chunks;

    atomic_int next_chunk;
    atomic_int pending_workers;
    atomic_int generation;
    atomic_int caller_parked;
    atomic_int closed;

    /* Sleeping, for workers (wake) and for the caller (done); the flags above say who sleeps. */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t done;
};

static long now_nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* Claims chunks until none are left. */
static void work(twin_pool *pool, int thread) {
    int c;
    while ((c = atomic_fetch_add(&pool->next_chunk, 1)) < pool->chunks) pool->task(pool->context, c, thread);
}

/* Spins, then sleeps, until the generation moves past `seen`; returns `seen` once the pool is closed. */
static int await_generation(worker *w, int seen) {
    twin_pool *pool = w->pool;
    long spin_until = now_nanos() + SPIN_NANOS;
    int spins = 0, g;
    while ((g = atomic_load(&pool->generation)) == seen) {
        if (atomic_load(&pool->closed)) return seen;
        if ((++spins & 15) != 0 || now_nanos() < spin_until) { /* read the clock every 16 spins, as Java does */
            _mm_pause();
            continue;
        }
        /* parked is set before generation is read again under the lock; the caller bumps generation before it
           reads parked (both sequentially consistent), so one of the two sees the other: no lost wake-up. */
        pthread_mutex_lock(&pool->lock);
        atomic_store(&w->parked, 1);
        while (atomic_load(&pool->generation) == seen && !atomic_load(&pool->closed)) {
            pthread_cond_wait(&pool->wake, &pool->lock);
        }
        atomic_store(&w->parked, 0);
        pthread_mutex_unlock(&pool->lock);
    }
    return g;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    twin_pool *pool = w->pool;
    int seen = 0;
    for (;;) {
        int g = await_generation(w, seen);
        if (g == seen) return NULL; /* closed */
        seen = g;
        work(pool, w->index);
        if (atomic_fetch_sub(&pool->pending_workers, 1) == 1 && atomic_load(&pool->caller_parked)) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_signal(&pool->done);
            pthread_mutex_unlock(&pool->lock);
        }
    }
}

twin_pool *twin_pool_create(int threads) {
    twin_pool *pool = calloc(1, sizeof *pool);
    if (pool == NULL) {
        twin_fail("cannot allocate the worker pool");
        return NULL;
    }
    pool->threads = threads;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pthread_cond_init(&pool->done, NULL);
    pool->workers = calloc((size_t) (threads > 1 ? threads - 1 : 1), sizeof(worker));
    if (pool->workers == NULL) {
        twin_fail("cannot allocate the worker pool");
        twin_pool_destroy(pool);
        return NULL;
    }
    for (int i = 0; i < threads - 1; i++) {
        worker *w = &pool->workers[i];
        w->pool = pool;
        w->index = i + 1;
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            twin_fail("cannot start worker thread %d of %d: %s", i + 1, threads - 1, strerror(rc));
            twin_pool_destroy(pool);
            return NULL;
        }
        w->started = 1;
    }
    return pool;
}

int twin_pool_threads(const twin_pool *pool) {
    return pool->threads;
}

/* Waits until every worker has left the run: spins about 50 µs, then sleeps until the last one signals. */
static void await_workers(twin_pool *pool) {
    long spin_until = now_nanos() + SPIN_NANOS;
    int spins = 0;
    while (atomic_load(&pool->pending_workers) != 0) {
        if ((++spins & 15) != 0 || now_nanos() < spin_until) {
            _mm_pause();
            continue;
        }
        pthread_mutex_lock(&pool->lock);
        atomic_store(&pool->caller_parked, 1);
        while (atomic_load(&pool->pending_workers) != 0) pthread_cond_wait(&pool->done, &pool->lock);
        atomic_store(&pool->caller_parked, 0);
        pthread_mutex_unlock(&pool->lock);
    }
}

void twin_pool_run(twin_pool *pool, twin_task task, void *context, int chunks) {
    if (chunks <= 0) return;
    if (chunks == 1 || pool->threads == 1) { /* waking threads would cost more than the chunk */
        for (int c = 0; c < chunks; c++) task(context, c, 0);
        return;
    }
    pool->task = task;
    pool->context = context;
    pool->chunks = chunks;
    atomic_store(&pool->next_chunk, 0);
    atomic_store(&pool->pending_workers, pool->threads - 1);
    atomic_fetch_add(&pool->generation, 1); /* publishes the fields above */
    for (int i = 0; i < pool->threads - 1; i++) {
        if (atomic_load(&pool->workers[i].parked)) {
            pthread_mutex_lock(&pool->lock);
            pthread_cond_broadcast(&pool->wake);
            pthread_mutex_unlock(&pool->lock);
            break; /* one broadcast wakes every sleeper */
        }
    }
    work(pool, 0);
    await_workers(pool);
}

void twin_pool_destroy(twin_pool *pool) {
    if (pool == NULL) return;
    pthread_mutex_lock(&pool->lock);
    atomic_store(&pool->closed, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
    if (pool->workers != NULL) {
        for (int i = 0; i < pool->threads - 1; i++) {
            if (pool->workers[i].started) pthread_join(pool->workers[i].thread, NULL);
        }
        free(pool->workers);
    }
    pthread_cond_destroy(&pool->done);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}
