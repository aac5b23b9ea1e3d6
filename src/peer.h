/* peer.h -- links to other cluster members, for forwarding requests.
 *
 * A peer link is a hiredis async context on the worker's own libev loop:
 * each worker has at most one shared link per member, so a forwarded
 * request never changes threads. Requests are pipelined (hiredis queues
 * them and writes everything queued in one write when the socket is
 * writable) and the replies come back in order. A link that fails is
 * re-opened on demand after a back-off.
 *
 * Every link starts with a hand-shake: AUTH (masterauth, else requirepass)
 * when no cluster-secret is set, then CLUSTER PEERLINK <my id> [secret].
 * PEERLINK marks the connection on the owner as a peer, so whatever comes
 * over it runs there and is never forwarded again.
 *
 * A private link belongs to one client's transaction (WATCH on a remote
 * key must hold its watches on a connection of its own). */
#ifndef SHOAL_PEER_H
#define SHOAL_PEER_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/async.h>

struct worker;

/* Called once with the owner's reply, or with NULL and why when the link
 * failed before the reply came. The reply is freed after the call. */
typedef void peer_reply_fn(struct redisReply *reply, const char *err, void *priv);

struct peer_link {
    struct peer_link *next;        /* worker's list */
    struct worker *worker;
    char id[41];                   /* the member's node id */
    char ip[46];
    int port;
    redisAsyncContext *ac;         /* NULL while down */
    int connected;                 /* the TCP connect completed */
    int is_private;                /* one client's, freed when retired */
    int retired;                   /* no new requests; freed once idle */
    int db;                        /* database selected on the link, -1 unknown */
    size_t inflight_bytes;         /* request bytes whose reply is due */
    unsigned inflight;             /* requests whose reply is due */
    int64_t opened_ms;             /* when the current connect began */
    int64_t retry_at_ms;           /* while down, no new connect before */
    int backoff_ms;
    char last_error[128];
    /* statistics, read by INFO on other threads (relaxed) */
    uint64_t requests, errors, writes;
};

/* The worker's shared link to the member (created on first use), or NULL
 * on allocation failure. */
struct peer_link *peer_link_get(struct worker *w, const char *id, const char *ip, int port);
/* A new private link to the member, or NULL. Release it with
 * peer_link_release(). */
struct peer_link *peer_link_private(struct worker *w, const char *id, const char *ip, int port);
void peer_link_release(struct peer_link *l);

/* Queues one request for db (-1: whatever the link has selected). Returns
 * 0, or -1 with err filled (link down and backing off, or over
 * cluster-forward-buffer-limit); fn is then not called. */
int peer_send(struct peer_link *l, int db, int argc, const char **argv, const size_t *lens,
              peer_reply_fn *fn, void *priv, char *err, size_t errlen);

/* Housekeeping, from the worker's forwarding timer: closes links whose
 * connect takes longer than cluster-forward-timeout, frees retired
 * private links. */
void peer_links_tick(struct worker *w, int64_t now_ms);
/* Closes shared links to members not in ids (sorted or not, n of them). */
void peer_links_prune(struct worker *w, const char (*ids)[41], size_t n);
/* Closes and frees every link (worker shutdown). */
void peer_links_free(struct worker *w);

/* Sum of every worker's link statistics, per member, for INFO: calls emit
 * once per member id that any worker has a link to. */
void peer_links_stats(void (*emit)(const char *id, const char *ip, int port, uint64_t requests,
                                   uint64_t errors, uint64_t writes, size_t inflight_bytes,
                                   void *ctx),
                      void *ctx);

#endif
