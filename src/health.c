/* health.c -- liveness and readiness decisions, see health.h. */
#include "health.h"

void liveness_init(struct liveness *l, struct health_loop *loops, size_t n, int64_t now_ms) {
    l->n = n;
    l->loops = loops;
    for (size_t i = 0; i < n; i++) {
        loops[i].count = 0;
        loops[i].changed_ms = now_ms;
    }
}

void liveness_sample(struct liveness *l, size_t i, uint64_t count, int64_t now_ms) {
    if (i >= l->n || l->loops[i].count == count) return;
    l->loops[i].count = count;
    l->loops[i].changed_ms = now_ms;
}

int liveness_stalled(const struct liveness *l, int64_t now_ms, int64_t *stalled_ms) {
    for (size_t i = 0; i < l->n; i++) {
        int64_t idle = now_ms - l->loops[i].changed_ms;
        if (idle >= HEALTH_STALL_MS) {
            if (stalled_ms) *stalled_ms = idle;
            return (int)i;
        }
    }
    return -1;
}

int readiness_update(struct readiness *r, const struct readiness_input *in, int64_t now_ms,
                     const char **why) {
    int64_t interval = in->probe_interval_ms > 0 ? in->probe_interval_ms : 1000;

    if (!r->started) {
        r->started = 1;
        r->start_ms = now_ms;
        r->version = in->map_version;
        r->version_since_ms = now_ms;
    } else if (in->map_version != r->version) {
        r->version = in->map_version;
        r->version_since_ms = now_ms;
    }

    if (in->shutting_down) {
        *why = "shutting down";
        return 0;
    }
    if (r->ready) {
        *why = "ready";
        return 1;
    }
    if (!in->loops_started) {
        *why = "starting: worker loops not running yet";
        return 0;
    }
    if (in->cluster && !r->joined) {
        if (in->others_alive > 0 || !in->has_seeds ||
            now_ms - r->start_ms >= HEALTH_JOIN_GRACE * interval)
            r->joined = 1;
        else {
            *why = "joining the cluster: no other member seen alive yet";
            return 0;
        }
    }
    if (in->cluster && now_ms - r->version_since_ms < HEALTH_SETTLE * interval) {
        *why = "slot map settling";
        return 0;
    }
    r->ready = 1;
    *why = "ready";
    return 1;
}
