/* memory.c -- memory accounting, see memory.h. */
#include "memory.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef SHOAL_NO_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#ifndef SHOAL_NO_JEMALLOC
#define MAX_THREADS 256

struct thread_counters {
    const uint64_t *allocated;
    const uint64_t *deallocated;
};

static struct thread_counters threads[MAX_THREADS];
static atomic_int nthreads;
#endif

void memory_init(void) {
#ifndef SHOAL_NO_JEMALLOC
    bool on = true;
    mallctl("background_thread", NULL, NULL, &on, sizeof(on));
#endif
}

void memory_thread_init(void) {
#ifndef SHOAL_NO_JEMALLOC
    uint64_t *a, *d;
    size_t sz = sizeof(a);
    if (mallctl("thread.allocatedp", &a, &sz, NULL, 0) != 0) return;
    sz = sizeof(d);
    if (mallctl("thread.deallocatedp", &d, &sz, NULL, 0) != 0) return;
    int i = atomic_fetch_add(&nthreads, 1);
    if (i >= MAX_THREADS) return;
    threads[i].allocated = a;
    threads[i].deallocated = d;
#endif
}

uint64_t memory_used(void) {
#ifndef SHOAL_NO_JEMALLOC
    int n = atomic_load(&nthreads);
    if (n > MAX_THREADS) n = MAX_THREADS;
    uint64_t alloc = 0, dealloc = 0;
    for (int i = 0; i < n; i++) {
        /* a racy read of another thread's counter is at worst one
         * allocation stale, which is all accounting needs */
        alloc += __atomic_load_n(threads[i].allocated, __ATOMIC_RELAXED);
        dealloc += __atomic_load_n(threads[i].deallocated, __ATOMIC_RELAXED);
    }
    return alloc > dealloc ? alloc - dealloc : 0;
#else
    /* Sanitizer builds only: their allocator keeps no mallinfo, so the
     * resident size stands in (eviction still has a number to work with). */
    struct mallinfo2 mi = mallinfo2();
    uint64_t used = mi.uordblks + mi.hblkhd;
    return used ? used : memory_rss();
#endif
}

uint64_t memory_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size, resident = 0;
    if (!f) return 0;
    if (fscanf(f, "%llu %llu", &size, &resident) != 2) resident = 0;
    fclose(f);
    return resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void memory_allocator_stats(struct allocator_stats *st) {
    memset(st, 0, sizeof(*st));
#ifndef SHOAL_NO_JEMALLOC
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    size_t v;
    sz = sizeof(v);
    if (mallctl("stats.allocated", &v, &sz, NULL, 0) == 0) st->allocated = v;
    if (mallctl("stats.active", &v, &sz, NULL, 0) == 0) st->active = v;
    if (mallctl("stats.resident", &v, &sz, NULL, 0) == 0) st->resident = v;
    if (mallctl("stats.mapped", &v, &sz, NULL, 0) == 0) st->mapped = v;
    if (mallctl("stats.retained", &v, &sz, NULL, 0) == 0) st->retained = v;
    if (mallctl("stats.metadata", &v, &sz, NULL, 0) == 0) st->metadata = v;
#endif
}

const char *memory_allocator_name(void) {
#ifndef SHOAL_NO_JEMALLOC
    static char name[64];
    if (!name[0]) {
        const char *v = "unknown";
        size_t sz = sizeof(v);
        mallctl("version", &v, &sz, NULL, 0);
        /* "5.3.0-0-g54ea..." -> "jemalloc-5.3.0" */
        snprintf(name, sizeof(name), "jemalloc-%.*s", (int)strcspn(v, "-"), v);
    }
    return name;
#else
    return "libc";
#endif
}
