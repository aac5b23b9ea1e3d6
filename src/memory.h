/* memory.h -- exact memory accounting. With jemalloc, used memory is the
 * sum over the process's threads of jemalloc's per-thread allocated minus
 * deallocated byte counters: exact (real size classes), and cheap enough to
 * read before every command, which eviction under maxmemory needs. */
#ifndef SHOAL_MEMORY_H
#define SHOAL_MEMORY_H

#include <stdint.h>

/* Process start-up: lets jemalloc return freed pages to the system in the
 * background (as Redis's jemalloc-bg-thread yes), so RSS follows used
 * memory down after keys expire or are evicted. */
void memory_init(void);
/* Every thread that allocates calls this once when it starts. */
void memory_thread_init(void);
/* Bytes currently allocated by the process (used_memory). */
uint64_t memory_used(void);
/* Resident set size from /proc/self/statm. */
uint64_t memory_rss(void);

struct allocator_stats {
    uint64_t allocated, active, resident, mapped, retained, metadata;
};
/* jemalloc's arena statistics (refreshed); zeroes without jemalloc. */
void memory_allocator_stats(struct allocator_stats *st);
/* "jemalloc-5.3.0" or "libc". */
const char *memory_allocator_name(void);

#endif
