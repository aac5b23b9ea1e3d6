/* evict.h -- keeping used memory under maxmemory (see evict.c). */
#ifndef SHOAL_EVICT_H
#define SHOAL_EVICT_H

#include <stdint.h>

#include "store.h"

/* Evicts keys by cfg.maxmemory_policy until used memory is within
 * cfg.maxmemory. Returns 0 when within the limit (or no limit), -1 when
 * still over it and nothing can be evicted (noeviction, or no candidate):
 * then commands flagged denyoom are refused with Redis's OOM error. */
int evict_if_needed(int64_t now, struct keyspace_stats *stats);
/* Empties every thread's candidate pool before its next use (the policy
 * changed, or databases were flushed or swapped). */
void evict_forget_candidates(void);

#endif
