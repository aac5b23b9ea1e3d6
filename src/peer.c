/* peer.c -- the worker's links to other members: hiredis async contexts on
 * the worker's libev loop, with the peer hand-shake, the database each
 * link has selected, in-flight accounting for back-pressure, and
 * reconnection with back-off. See peer.h. */
#include "peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libev.h>

#include "cluster.h"
#include "log.h"
#include "server.h"
#include "util.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

/* What a queued request remembers until its reply. */
struct pending {
    struct peer_link *link;
    size_t bytes;
    peer_reply_fn *fn;       /* NULL for the link's own commands */
    void *priv;
};

static int64_t now_ms(void) {
    return monotonic_us() / 1000;
}

static void link_down(struct peer_link *l, const char *why) {
    if (why) snprintf(l->last_error, sizeof(l->last_error), "%s", why);
    l->ac = NULL;
    l->connected = 0;
    l->db = -1;
    l->retry_at_ms = now_ms() + l->backoff_ms;
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status) {
    struct peer_link *l = ac->data;
    if (status != REDIS_OK) {
        serverlog(LL_VERBOSE, "Peer link to %s:%d failed: %s", l->ip, l->port, ac->errstr);
        link_down(l, ac->errstr);   /* hiredis frees the context */
        return;
    }
    l->connected = 1;
    l->backoff_ms = BACKOFF_MIN_MS;
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    struct peer_link *l = ac->data;
    if (status != REDIS_OK)
        serverlog(LL_VERBOSE, "Peer link to %s:%d lost: %s", l->ip, l->port, ac->errstr);
    link_down(l, status == REDIS_OK ? "link closed" : ac->errstr);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata) {
    struct pending *p = privdata;
    struct peer_link *l = p->link;
    l->inflight--;
    __atomic_fetch_sub(&l->inflight_bytes, p->bytes, __ATOMIC_RELAXED);
    redisReply *reply = r;
    if (!reply) __atomic_fetch_add(&l->errors, 1, __ATOMIC_RELAXED);
    if (p->fn) {
        p->fn(reply, ac->err ? ac->errstr : "link closed", p->priv);
    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        /* the hand-shake or a SELECT failed: the requests behind it will
         * say why to their clients; the log says it once per link */
        serverlog(LL_WARNING, "Peer %s:%d refused the link: %s", l->ip, l->port, reply->str);
    }
    free(p);
}

/* Counts the link's writes: each time hiredis asks for a write while none
 * is armed, one batch of requests leaves for the peer. */
static void count_write(void *privdata) {
    redisLibevEvents *e = privdata;
    if (!e->writing) {
        struct peer_link *l = e->context->data;
        __atomic_fetch_add(&l->writes, 1, __ATOMIC_RELAXED);
    }
    redisLibevAddWrite(privdata);
}

static int queue(struct peer_link *l, int argc, const char **argv, const size_t *lens,
                 peer_reply_fn *fn, void *priv) {
    size_t bytes = 0;
    for (int i = 0; i < argc; i++) bytes += lens[i] + 16;
    struct pending *p = malloc(sizeof(*p));
    if (!p) return -1;
    p->link = l;
    p->bytes = bytes;
    p->fn = fn;
    p->priv = priv;
    if (redisAsyncCommandArgv(l->ac, on_reply, p, argc, argv, lens) != REDIS_OK) {
        free(p);
        return -1;
    }
    l->inflight++;
    __atomic_fetch_add(&l->inflight_bytes, bytes, __ATOMIC_RELAXED);
    return 0;
}

static int link_open(struct peer_link *l) {
    l->opened_ms = now_ms();
    redisAsyncContext *ac = redisAsyncConnect(l->ip, l->port);
    if (!ac) {
        link_down(l, "out of memory");
        return -1;
    }
    if (ac->err) {
        link_down(l, ac->errstr);
        redisAsyncFree(ac);
        return -1;
    }
    ac->data = l;
    redisLibevAttach(l->worker->loop, ac);
    ac->ev.addWrite = count_write;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    l->ac = ac;
    l->db = 0;

    /* the hand-shake, pipelined ahead of the first request */
    const char *id = cluster_my_id();
    if (cfg.cluster_secret) {
        const char *argv[] = {"CLUSTER", "PEERLINK", id, cfg.cluster_secret};
        size_t lens[] = {7, 8, strlen(id), strlen(cfg.cluster_secret)};
        queue(l, 4, argv, lens, NULL, NULL);
    } else {
        const char *pass = cfg.masterauth ? cfg.masterauth : cfg.requirepass;
        if (pass) {
            const char *argv[] = {"AUTH", pass};
            size_t lens[] = {4, strlen(pass)};
            queue(l, 2, argv, lens, NULL, NULL);
        }
        const char *argv[] = {"CLUSTER", "PEERLINK", id};
        size_t lens[] = {7, 8, strlen(id)};
        queue(l, 3, argv, lens, NULL, NULL);
    }
    return 0;
}

static struct peer_link *link_new(struct worker *w, const char *id, const char *ip, int port) {
    struct peer_link *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->worker = w;
    snprintf(l->id, sizeof(l->id), "%s", id);
    snprintf(l->ip, sizeof(l->ip), "%s", ip);
    l->port = port;
    l->db = -1;
    l->backoff_ms = BACKOFF_MIN_MS;
    return l;
}

static void link_close(struct peer_link *l, const char *why) {
    if (!l->ac) return;
    snprintf(l->last_error, sizeof(l->last_error), "%s", why);
    redisAsyncContext *ac = l->ac;
    redisAsyncFree(ac);   /* runs the pending callbacks with NULL */
    l->ac = NULL;
    l->connected = 0;
    l->db = -1;
}

struct peer_link *peer_link_get(struct worker *w, const char *id, const char *ip, int port) {
    struct peer_link *l;
    for (l = w->peers; l; l = l->next) {
        if (strcmp(l->id, id) != 0) continue;
        if (l->port != port || strcmp(l->ip, ip) != 0) {
            /* the member moved (restart with another address) */
            link_close(l, "member changed address");
            snprintf(l->ip, sizeof(l->ip), "%s", ip);
            l->port = port;
            l->retry_at_ms = 0;
        }
        l->retired = 0;
        return l;
    }
    l = link_new(w, id, ip, port);
    if (!l) return NULL;
    l->next = w->peers;
    /* INFO walks the list from other threads: publish a complete node */
    __atomic_store_n(&w->peers, l, __ATOMIC_RELEASE);
    return l;
}

struct peer_link *peer_link_private(struct worker *w, const char *id, const char *ip, int port) {
    struct peer_link *l = link_new(w, id, ip, port);
    if (!l) return NULL;
    l->is_private = 1;
    l->next = w->private_peers;
    w->private_peers = l;
    return l;
}

void peer_link_release(struct peer_link *l) {
    /* freed by peer_links_tick, outside any hiredis callback */
    l->retired = 1;
}

int peer_send(struct peer_link *l, int db, int argc, const char **argv, const size_t *lens,
              peer_reply_fn *fn, void *priv, char *err, size_t errlen) {
    if (!l->ac) {
        if (l->retired || now_ms() < l->retry_at_ms) {
            snprintf(err, errlen, "%s", l->last_error[0] ? l->last_error : "link closed");
            __atomic_fetch_add(&l->errors, 1, __ATOMIC_RELAXED);
            return -1;
        }
        if (link_open(l) < 0) {
            snprintf(err, errlen, "%s", l->last_error);
            __atomic_fetch_add(&l->errors, 1, __ATOMIC_RELAXED);
            return -1;
        }
    }
    if ((long long)l->inflight_bytes > cfg.cluster_forward_buffer_limit) {
        snprintf(err, errlen, "too many requests queued (cluster-forward-buffer-limit)");
        __atomic_fetch_add(&l->errors, 1, __ATOMIC_RELAXED);
        return -1;
    }
    if (db >= 0 && db != l->db) {
        char num[16];
        int n = snprintf(num, sizeof(num), "%d", db);
        const char *sargv[] = {"SELECT", num};
        size_t slens[] = {6, (size_t)n};
        if (queue(l, 2, sargv, slens, NULL, NULL) < 0) goto oom;
        l->db = db;
    }
    if (queue(l, argc, argv, lens, fn, priv) < 0) goto oom;
    __atomic_fetch_add(&l->requests, 1, __ATOMIC_RELAXED);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

void peer_links_tick(struct worker *w, int64_t now) {
    for (struct peer_link *l = w->peers; l; l = l->next) {
        if (l->ac && !l->connected && now - l->opened_ms > cfg.cluster_forward_timeout) {
            link_close(l, "connect timed out");
            link_down(l, NULL);
        }
    }
    struct peer_link **pp = &w->private_peers;
    while (*pp) {
        struct peer_link *l = *pp;
        if (l->retired) {
            *pp = l->next;
            if (l->ac) redisAsyncFree(l->ac);
            free(l);
        } else {
            pp = &l->next;
        }
    }
}

void peer_links_prune(struct worker *w, const char (*ids)[41], size_t n) {
    for (struct peer_link *l = w->peers; l; l = l->next) {
        size_t i;
        for (i = 0; i < n; i++)
            if (!strcmp(ids[i], l->id)) break;
        if (i == n && l->ac) {
            link_close(l, "member left the cluster");
            l->retired = 1;
        }
    }
}

void peer_links_free(struct worker *w) {
    struct peer_link *l = w->peers, *next;
    for (; l; l = next) {
        next = l->next;
        if (l->ac) redisAsyncFree(l->ac);
        free(l);
    }
    w->peers = NULL;
    for (l = w->private_peers; l; l = next) {
        next = l->next;
        if (l->ac) redisAsyncFree(l->ac);
        free(l);
    }
    w->private_peers = NULL;
}

void peer_links_stats(void (*emit)(const char *id, const char *ip, int port, uint64_t requests,
                                   uint64_t errors, uint64_t writes, size_t inflight_bytes,
                                   void *ctx),
                      void *ctx) {
    /* Members are few: collect ids across workers, then sum per id. */
    for (int wi = 0; wi < server.nworkers; wi++) {
        struct peer_link *first = __atomic_load_n(&server.workers[wi].peers, __ATOMIC_ACQUIRE);
        for (struct peer_link *l = first; l; l = l->next) {
            /* report each id once: at its first worker */
            int seen = 0;
            for (int wj = 0; wj < wi && !seen; wj++)
                for (struct peer_link *m = __atomic_load_n(&server.workers[wj].peers,
                                                          __ATOMIC_ACQUIRE);
                     m && !seen; m = m->next)
                    if (!strcmp(m->id, l->id)) seen = 1;
            if (seen) continue;
            uint64_t req = 0, err = 0, wr = 0;
            size_t bytes = 0;
            for (int wj = wi; wj < server.nworkers; wj++)
                for (struct peer_link *m = __atomic_load_n(&server.workers[wj].peers,
                                                          __ATOMIC_ACQUIRE);
                     m; m = m->next)
                    if (!strcmp(m->id, l->id)) {
                        req += __atomic_load_n(&m->requests, __ATOMIC_RELAXED);
                        err += __atomic_load_n(&m->errors, __ATOMIC_RELAXED);
                        wr += __atomic_load_n(&m->writes, __ATOMIC_RELAXED);
                        bytes += __atomic_load_n(&m->inflight_bytes, __ATOMIC_RELAXED);
                    }
            emit(l->id, l->ip, l->port, req, err, wr, bytes, ctx);
        }
    }
}
