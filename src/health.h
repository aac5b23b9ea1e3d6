/* health.h -- liveness and readiness as decisions over samples: a pure
 * core (no clock, no threads, no server state), fed by the metrics
 * thread (metrics_http.c) and tested on its own (test_health.c).
 *
 * Liveness (/healthz): every event loop (the workers', and the cluster
 * thread's) keeps running. A loop's progress is a counter that grows while
 * it runs (libev's iteration count; the cluster's view generation, which
 * it republishes at least every second); a loop whose counter has not
 * moved for HEALTH_STALL_MS is stalled.
 *
 * Readiness (/readyz): the node should be sent traffic.
 * - Never while shutting down (SIGTERM, SIGINT, SHUTDOWN): load balancers
 *   stop sending clients while the node still serves the ones it has and
 *   announces its leave.
 * - Not before every worker loop has started.
 * - Without the cluster, that is all: the listeners are open before the
 *   metrics thread starts.
 * - With the cluster, the node must first have joined: it sees another
 *   member alive; or it has no seeds (it founds the cluster); or it found
 *   no other member within HEALTH_JOIN_GRACE probe intervals (it is its
 *   seeds' only node, e.g. the first pod of a StatefulSet whose seed is
 *   the headless service: waiting for the others would deadlock an
 *   ordered rollout). Then the slot map must have settled: its version
 *   unchanged for HEALTH_SETTLE probe intervals, so that a node that has
 *   just learnt of the others does not take clients by a map that is still
 *   moving.
 * - Once ready, the node stays ready (until shutdown) through later
 *   membership changes: a readiness that dropped on every join or leave
 *   elsewhere would take every node out of its Service at once during a
 *   rolling update. */
#ifndef SHOAL_HEALTH_H
#define SHOAL_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#define HEALTH_STALL_MS 10000   /* a loop this long without progress is stalled */
#define HEALTH_JOIN_GRACE 10    /* probe intervals alone before founding */
#define HEALTH_SETTLE 3         /* probe intervals of an unchanged slot map */

/* ---- liveness ---- */

struct health_loop {
    uint64_t count;             /* last progress counter seen */
    int64_t changed_ms;         /* when it last moved */
};

struct liveness {
    size_t n;
    struct health_loop *loops;  /* n of them, caller-owned */
};

/* loops: n entries (the caller's memory). */
void liveness_init(struct liveness *l, struct health_loop *loops, size_t n, int64_t now_ms);
/* Loop i's progress counter is now count. */
void liveness_sample(struct liveness *l, size_t i, uint64_t count, int64_t now_ms);
/* The first loop stalled for HEALTH_STALL_MS or more (and for how long, in
 * *stalled_ms), or -1 when every loop is progressing. */
int liveness_stalled(const struct liveness *l, int64_t now_ms, int64_t *stalled_ms);

/* ---- readiness ---- */

struct readiness_input {
    int shutting_down;
    int loops_started;          /* every worker loop has run */
    int cluster;                /* cluster-enabled */
    int has_seeds;              /* cluster-seeds is set */
    size_t others_alive;        /* other members seen alive */
    uint64_t map_version;       /* the slot map's version */
    int probe_interval_ms;
};

struct readiness {
    int started;                /* first sample taken */
    int64_t start_ms;
    int joined, ready;          /* both latch */
    uint64_t version;           /* last version seen */
    int64_t version_since_ms;   /* when it last changed */
};

/* Takes a sample at now_ms; returns 1 when ready, else 0 with *why a short
 * reason (a static string). Call at least every probe interval or so, so
 * that slot-map changes are seen. */
int readiness_update(struct readiness *r, const struct readiness_input *in, int64_t now_ms,
                     const char **why);

#endif
