/* cluster.h -- the cluster layer as the rest of the server sees it.
 *
 * When cluster-enabled is yes, cluster.c runs the SWIM core (swim.c) on a
 * thread of its own with its own libev loop (UDP and TCP on cluster-port),
 * so membership timing never waits behind client traffic. Each change of
 * membership publishes a new immutable view; commands read the current
 * one with cluster_view_get() and release it with cluster_view_put(). */
#ifndef SHOAL_CLUSTER_H
#define SHOAL_CLUSTER_H

#include <stdatomic.h>
#include <stdint.h>

#include "slotmap.h"
#include "swim.h"

struct cluster_node {
    char id[SWIM_ID_LEN + 1];
    char ip[46];                  /* printable address */
    int port;                     /* client port */
    int cport;                    /* cluster port */
    enum swim_state state;
    uint64_t incarnation;
    int64_t rtt_us;               /* last direct probe RTT, -1 if none */
    int64_t state_since_ms;
    int myself;
};

struct cluster_view {
    uint64_t version;             /* the slot map's version */
    size_t nnodes;                /* every known member, self first */
    struct cluster_node *nodes;
    const struct slotmap *map;    /* owners among the alive members */
    struct swim_stats stats;      /* at the time of the snapshot */
    int64_t created_ms;
    atomic_int refs;
};

/* Starts the cluster thread (cfg.cluster_enabled). Returns -1 and logs
 * why on failure (port in use...). */
int cluster_start(void);
/* Announces a graceful leave, waits up to cluster-leave-timeout for it to
 * spread, and stops the thread. No-op when the cluster is off. */
void cluster_stop(void);
int cluster_enabled(void);
/* This node's 40-hex id, made once at start-up. */
const char *cluster_my_id(void);

/* The current view (a reference: release it), or NULL when off. */
struct cluster_view *cluster_view_get(void);
void cluster_view_put(struct cluster_view *v);
/* Changes whenever a new view is published: a cheap test of whether a
 * cached view is still current. */
unsigned cluster_view_generation(void);

#endif
