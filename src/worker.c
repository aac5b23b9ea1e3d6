/* worker.c -- the worker threads (memcached-style): each has its own libev
 * loop, its clients, its statistics, and a cron that does its share of
 * background work (active expiry and rehashing of the shards it owns,
 * idle-client timeouts, eviction left over by commands). The acceptor hands
 * sockets over through a small locked inbox and an ev_async wake-up. What
 * else crosses threads: CLIENT LIST/KILL read other workers' clients under
 * their clients_lock, and WATCH marks other threads' clients dirty. */
#include "worker.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_info.h"
#include "connection.h"
#include "evict.h"
#include "forward.h"
#include "log.h"
#include "memory.h"
#include "net.h"
#include "stats.h"
#include "util.h"

struct pending_conn {
    int fd;
    int is_unix;
    struct pending_conn *next;
};

_Thread_local struct worker *self_worker;

static unsigned next_worker;

static void adopt(struct worker *w, int fd, int is_unix) {
    char addr[NET_ADDR_LEN], laddr[NET_ADDR_LEN];
    if (is_unix) {
        /* as Redis: both ends are named by the socket's path */
        snprintf(addr, sizeof(addr), "%s:0", cfg.unixsocket);
        snprintf(laddr, sizeof(laddr), "%s:0", cfg.unixsocket);
    } else {
        if (net_format_peer(fd, addr, sizeof(addr)) < 0) snprintf(addr, sizeof(addr), "?:0");
        if (net_format_local(fd, laddr, sizeof(laddr)) < 0) snprintf(laddr, sizeof(laddr), "?:0");
    }
    client_create(w, fd, is_unix, addr, laddr);
}

void worker_adopt(int fd, int is_unix) {
    struct worker *w = &server.workers[next_worker++ % (unsigned)server.nworkers];
    if (w == self_worker) {
        adopt(w, fd, is_unix);
        return;
    }
    struct pending_conn *pc = malloc(sizeof(*pc));
    if (!pc) {
        close(fd);
        atomic_fetch_sub(&server.connected_clients, 1); /* taken at accept */
        return;
    }
    pc->fd = fd;
    pc->is_unix = is_unix;
    pthread_mutex_lock(&w->inbox_lock);
    pc->next = w->inbox;
    w->inbox = pc;
    pthread_mutex_unlock(&w->inbox_lock);
    ev_async_send(w->loop, &w->wakeup);
}

static void on_wakeup(struct ev_loop *loop, ev_async *a, int revents) {
    (void)revents;
    struct worker *w = a->data;

    if (atomic_load(&server.shutdown_requested)) {
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    pthread_mutex_lock(&w->inbox_lock);
    struct pending_conn *pc = w->inbox;
    w->inbox = NULL;
    pthread_mutex_unlock(&w->inbox_lock);
    while (pc) {
        struct pending_conn *next = pc->next;
        adopt(w, pc->fd, pc->is_unix);
        free(pc);
        pc = next;
    }
    connection_reap(w);
}

/* Active expiry over the shards this worker owns, adaptive as Redis's
 * activeExpireCycle: a shard is swept chunk by chunk for as long as more
 * than a tenth of the keys with a TTL in the last chunk had expired, so
 * expired-but-unreclaimed keys stay near a tenth of the keys with a TTL,
 * and the work follows the rate at which keys expire. The cycle stops
 * after a quarter of the cron period. */
#define EXPIRE_CHUNK_BUCKETS 64
#define EXPIRE_STALE_PERCENT 10

static void active_expire(struct worker *w, int64_t now) {
    int64_t deadline = monotonic_us() + 1000000 / cfg.hz / 4;
    unsigned nworkers = (unsigned)server.nworkers;
    unsigned total = (unsigned)store_db_count() * STORE_SHARDS;
    /* shard i of the whole keyspace belongs to worker i mod nworkers */
    unsigned owned = (total - (unsigned)w->id + nworkers - 1) / nworkers;

    /* resume where the last cycle ran out of time */
    for (unsigned n = 0; n < owned && monotonic_us() <= deadline; n++) {
        unsigned k = w->expire_next++ % owned;
        unsigned i = k * nworkers + (unsigned)w->id;
        int dbid = (int)(i / STORE_SHARDS);
        unsigned shard = i % STORE_SHARDS;
        store_shard_maintain(dbid, shard);
        if (!store_shard_has_expires(dbid, shard)) continue;
        for (;;) {
            uint64_t seen = 0;
            uint64_t expired = store_expire_step(dbid, shard, now, EXPIRE_CHUNK_BUCKETS, &seen,
                                                 &w->stats.ks);
            if (expired * 100 <= seen * EXPIRE_STALE_PERCENT || monotonic_us() > deadline) break;
        }
    }
}

/* Eviction the commands left unfinished (e.g. after CONFIG SET maxmemory
 * lowered the limit) continues in short slices between client events,
 * as Redis's evictionTimeProc: a zero-delay timer re-armed while memory
 * is still over the limit. */
#define EVICT_SLICE_US 1000

static void on_evict(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)revents;
    struct worker *w = t->data;
    pthread_rwlock_rdlock(&server.keyspace_lock);
    int r = cfg.maxmemory ? evict_if_needed(mstime(), &w->stats.ks, EVICT_SLICE_US) : EVICT_OK;
    pthread_rwlock_unlock(&server.keyspace_lock);
    if (r != EVICT_RUNNING) ev_timer_stop(loop, t);
}

static void on_cron(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)loop;
    (void)revents;
    struct worker *w = t->data;
    int64_t now = mstime();

    pthread_rwlock_rdlock(&server.keyspace_lock);
    active_expire(w, now);
    int over = cfg.maxmemory && evict_if_needed(now, &w->stats.ks, EVICT_SLICE_US) == EVICT_RUNNING;
    pthread_rwlock_unlock(&server.keyspace_lock);
    if (over && !ev_is_active(&w->evict)) ev_timer_start(w->loop, &w->evict);
    connection_timeouts(w, now);
    if (w->id == 0) {
        info_cron(now);   /* INFO's instantaneous rates, peak */
        if (cfg.cluster_enabled) forward_cron(w, monotonic_us() / 1000);
    }
    /* follow CONFIG SET hz */
    double period = 1.0 / cfg.hz;
    if (t->repeat != period) {
        t->repeat = period;
        ev_timer_again(w->loop, t);
    }
}

static void on_prepare(struct ev_loop *loop, ev_prepare *p, int revents) {
    (void)loop;
    (void)revents;
    connection_flush_pending(p->data);
}

int workers_init(int n) {
    server.nworkers = n;
    server.workers = calloc((size_t)n, sizeof(struct worker));
    if (!server.workers) return -1;
    for (int i = 0; i < n; i++) {
        struct worker *w = &server.workers[i];
        w->id = i;
        w->loop = i == 0 ? ev_default_loop(EVFLAG_AUTO) : ev_loop_new(EVFLAG_AUTO);
        if (!w->loop) return -1;
        pthread_mutex_init(&w->clients_lock, NULL);
        pthread_mutex_init(&w->inbox_lock, NULL);
        w->cmdstats = calloc((size_t)command_count(), sizeof(struct command_stats));
        w->errstats = calloc(1, sizeof(struct error_stats));
        if (!w->cmdstats || !w->errstats) return -1;
        ev_async_init(&w->wakeup, on_wakeup);
        w->wakeup.data = w;
        ev_async_start(w->loop, &w->wakeup);
        double period = 1.0 / cfg.hz;
        ev_timer_init(&w->cron, on_cron, period, period);
        w->cron.data = w;
        ev_timer_start(w->loop, &w->cron);
        ev_timer_init(&w->evict, on_evict, 0, 0.0001);
        w->evict.data = w;
        ev_prepare_init(&w->flush_prepare, on_prepare);
        w->flush_prepare.data = w;
        ev_prepare_start(w->loop, &w->flush_prepare);
        if (forward_worker_init(w) < 0) return -1;
    }
    self_worker = &server.workers[0];
    return 0;
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    char name[16];
    snprintf(name, sizeof(name), "shoal-worker-%d", w->id);
    pthread_setname_np(pthread_self(), name);
    self_worker = w;
    memory_thread_init();
    ev_run(w->loop, 0);
    /* close this worker's clients on its own thread */
    while (w->clients) client_close(w->clients);
    forward_worker_free(w);
    return NULL;
}

int workers_start(void) {
    sigset_t all, old;
    /* signals are handled by the main thread's loop only */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (int i = 1; i < server.nworkers; i++) {
        if (pthread_create(&server.workers[i].thread, NULL, worker_main, &server.workers[i]) != 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            return -1;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

void workers_stop(void) {
    atomic_store(&server.shutdown_requested, 1);
    for (int i = 1; i < server.nworkers; i++) ev_async_send(server.workers[i].loop, &server.workers[i].wakeup);
    for (int i = 1; i < server.nworkers; i++) pthread_join(server.workers[i].thread, NULL);
    struct worker *w0 = &server.workers[0];
    while (w0->clients) client_close(w0->clients);
    forward_worker_free(w0);
}

void worker_request_shutdown(void) {
    atomic_store(&server.shutdown_requested, 1);
    ev_async_send(server.workers[0].loop, &server.workers[0].wakeup);
}
