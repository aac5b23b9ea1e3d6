/* stats.c -- error counters by code, kept per worker thread so the hot path
 * never shares a cache line; INFO and CONFIG RESETSTAT walk all workers. */
#include "stats.h"

#include <string.h>

#include "metrics.h"
#include "server.h"

void stats_count_error(const char *code, size_t len) {
    struct worker *w = self_worker;
    if (!w) return;
    w->stats.total_error_replies++;
    struct error_stats *es = w->errstats;
    if (len >= sizeof(es->codes[0].code)) len = sizeof(es->codes[0].code) - 1;
    for (int i = 0; i < es->count; i++) {
        if (strncmp(es->codes[i].code, code, len) == 0 && es->codes[i].code[len] == '\0') {
            es->codes[i].n++;
            return;
        }
    }
    if (es->count == ERROR_STATS_MAX) return;
    memcpy(es->codes[es->count].code, code, len);
    es->codes[es->count].code[len] = '\0';
    es->codes[es->count].n = 1;
    es->count++;
}

void stats_sum_errors(void (*emit)(const char *code, uint64_t n, void *ctx), void *ctx) {
    struct error_stats sum = {0};
    for (int w = 0; w < server.nworkers; w++) {
        struct error_stats *es = server.workers[w].errstats;
        for (int i = 0; i < es->count; i++) {
            int j;
            for (j = 0; j < sum.count; j++)
                if (strcmp(sum.codes[j].code, es->codes[i].code) == 0) break;
            if (j == sum.count) {
                if (sum.count == ERROR_STATS_MAX) continue;
                strcpy(sum.codes[j].code, es->codes[i].code);
                sum.codes[j].n = 0;
                sum.count++;
            }
            sum.codes[j].n += es->codes[i].n;
        }
    }
    for (int j = 0; j < sum.count; j++) emit(sum.codes[j].code, sum.codes[j].n, ctx);
}

void stats_reset(void) {
    for (int w = 0; w < server.nworkers; w++) {
        struct worker *wk = &server.workers[w];
        memset(&wk->stats, 0, sizeof(wk->stats));
        memset(wk->cmdstats, 0, sizeof(wk->cmdstats[0]) * (size_t)command_count());
        memset(wk->errstats, 0, sizeof(*wk->errstats));
    }
    metrics_reset();   /* the latency histograms, with the calls they count */
}
