/* stats.h -- per-thread counters that INFO sums: errors by code. The other
 * counters live in struct worker_stats and struct command_stats. */
#ifndef SHOAL_STATS_H
#define SHOAL_STATS_H

#include <stddef.h>
#include <stdint.h>

#define ERROR_STATS_MAX 128   /* distinct error codes tracked, as Redis */

struct error_stats {
    int count;
    struct {
        char code[32];
        uint64_t n;
    } codes[ERROR_STATS_MAX];
};

/* Counts one error reply with this code (its first word) on this thread. */
void stats_count_error(const char *code, size_t len);
/* Sums every worker's count for each code: calls emit per code. */
void stats_sum_errors(void (*emit)(const char *code, uint64_t n, void *ctx), void *ctx);
/* Zeroes every worker's counters (CONFIG RESETSTAT). */
void stats_reset(void);

#endif
