/* forward.h -- any node serves any key: commands whose keys another member
 * owns go to that owner over the worker's peer links (cluster-mode proxy),
 * or are answered with Redis Cluster's -MOVED / -CROSSSLOT
 * (cluster-mode redirect).
 *
 * In proxy mode:
 * - A single-owner command is sent as is; its reply fills a hole in the
 *   client's output, so replies keep the order of the commands.
 * - MGET, MSET, DEL, UNLINK, EXISTS and TOUCH are split by owner, sent in
 *   parallel and merged in key order. Other commands whose keys live on
 *   more than one member (MSETNX, RENAME...) get -CROSSSLOT.
 * - DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB and SWAPDB cover
 *   every member.
 * - A transaction runs where all its keys (and WATCHed keys) live;
 *   one that spans members is refused at EXEC, and nothing of it runs.
 * - A request that came over a peer link runs where it lands. */
#ifndef SHOAL_FORWARD_H
#define SHOAL_FORWARD_H

#include <stddef.h>

#include "server.h"

/* Per-worker state: the cached cluster view, outstanding requests and
 * their timer, the scratch client for local parts. */
int forward_worker_init(struct worker *w);
void forward_worker_free(struct worker *w);

/* Called by dispatch for every command of a non-peer client when the
 * cluster is on, after the arity/auth checks. Returns 0 when the command
 * runs here as usual, 1 when it was forwarded or answered, -1 when it is
 * refused with the message in err (MOVED, CROSSSLOT...). */
int forward_command(struct client *c, const struct command *cmd, char *err, size_t errlen);

/* The client is going away: its outstanding requests are abandoned. */
void forward_client_closed(struct client *c);

/* Worker 0's cron: refreshes the cluster's key count now and then. */
void forward_cron(struct worker *w, int64_t now_ms);

/* INFO cluster's forwarding fields (worker statistics summed). */
struct forward_stats {
    unsigned long long forwarded;   /* requests sent to owners */
    unsigned long long fanouts;     /* commands split or sent to every member */
    unsigned long long timeouts;    /* commands answered TRYAGAIN for time */
    unsigned long long errors;      /* requests that could not be sent or lost */
    unsigned long long peer_writes; /* batches written to peer links */
    long long keys;                 /* keys in the whole cluster, -1 unknown */
};
void forward_stats(struct forward_stats *out);

#endif
