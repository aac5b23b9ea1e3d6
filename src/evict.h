/* evict.h -- keeping used memory under maxmemory (see evict.c). */
#ifndef SHOAL_EVICT_H
#define SHOAL_EVICT_H

#include <stdint.h>

#include "store.h"

/* Time a command may spend evicting before it runs (Redis's default
 * maxmemory-eviction-tenacity); the cron continues with its own budget. */
#define EVICT_COMMAND_BUDGET_US 500

enum evict_result {
    EVICT_OK = 0,        /* within the limit (or no limit) */
    EVICT_RUNNING = 1,   /* still over, out of time, but making progress */
    EVICT_FAIL = -1,     /* still over and nothing can be evicted
                          * (noeviction, or no candidate left): commands
                          * flagged denyoom get Redis's OOM error */
};

/* Evicts keys by cfg.maxmemory_policy until used memory is within
 * cfg.maxmemory or budget_us has passed. */
int evict_if_needed(int64_t now, struct keyspace_stats *stats, int64_t budget_us);
/* Empties every thread's candidate pool before its next use (the policy
 * changed, or databases were flushed or swapped). */
void evict_forget_candidates(void);

#endif
