/* shutdown.c -- the graceful shutdown on SIGTERM/SIGINT: stop accepting,
 * leave the cluster, drain the connections, within shutdown-timeout. See
 * shutdown.h for the sequence.
 *
 * Threads: shutdown_begin runs on worker 0 (the main thread). Each worker
 * drains its own connections on its own loop (an ev_async started by
 * shutdown_init wakes it, then a timer ticks), so nothing here touches
 * another thread's clients; workers publish how many connections they
 * still hold, and worker 0's tick ends the drain. The cluster leave runs
 * on a short-lived thread, since cluster_stop() blocks until the leave
 * has spread (cluster-leave-timeout). */
#include "shutdown.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cluster.h"
#include "listener.h"
#include "log.h"
#include "server.h"

struct drain {
    ev_async start;         /* shutdown_begin -> this worker */
    ev_timer tick;
    atomic_int busy;        /* connections still open after its last tick */
    atomic_int ticked;      /* ticks since the drain began */
};

static struct drain *drains;
static atomic_int draining;
static _Atomic int64_t deadline_ms;
static int listeners_closed;
static pthread_t leave_thread;
static int leave_started;
static atomic_int leave_done;

/* Whether a connection has a request in flight: a command (or part of
 * one) read or still in the socket, a reply not yet written (or a hole
 * for one to come), a forwarded command awaiting its owner, an open
 * MULTI, or traffic within SHUTDOWN_QUIET_MS. */
static int client_busy(struct client *c, int64_t now) {
    unsigned flags = atomic_load(&c->flags);
    int unread = 0;

    if (flags & CLIENT_CLOSE_ASAP) return 0;
    if (c->qlen > c->qpos || c->fwd_pending || (flags & CLIENT_MULTI)) return 1;
    for (const struct reply_block *b = c->reply_head; b; b = b->next)
        if (b->hole || b->used > (b == c->reply_head ? c->sent_in_head : 0)) return 1;
    if (now - c->last_interaction_ms < SHUTDOWN_QUIET_MS) return 1;
    return ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0;
}

static void leave_and_stop(struct ev_loop *loop, int64_t now) {
    int left = 0, all_ticked = 1;
    for (int i = 0; i < server.nworkers; i++) {
        if (!atomic_load(&drains[i].ticked)) all_ticked = 0;
        left += atomic_load(&drains[i].busy);
    }
    int left_cluster = !leave_started || atomic_load(&leave_done);
    if (all_ticked && left == 0 && left_cluster) {
        serverlog(LL_NOTICE, "Every connection drained");
        ev_break(loop, EVBREAK_ALL);
    } else if (now >= atomic_load(&deadline_ms)) {
        serverlog(LL_WARNING, "shutdown-timeout (%d s) reached: closing %d connection%s still busy",
                  cfg.shutdown_timeout, left, left == 1 ? "" : "s");
        ev_break(loop, EVBREAK_ALL);
    }
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)revents;
    struct worker *w = t->data;
    struct drain *d = &drains[w->id];
    int64_t now = mstime();
    int busy = 0;

    for (struct client *c = w->clients, *next; c; c = next) {
        next = c->next;
        if (client_busy(c, now)) {
            busy++;
        } else {
            serverlog(LL_VERBOSE, "Closing drained client id=%llu addr=%s",
                      (unsigned long long)c->id, c->addr);
            client_close(c);
        }
    }
    atomic_store(&d->busy, busy);
    atomic_fetch_add(&d->ticked, 1);
    if (w->id == 0) leave_and_stop(loop, now);
}

static void on_start(struct ev_loop *loop, ev_async *a, int revents) {
    (void)revents;
    struct worker *w = a->data;
    if (!ev_is_active(&drains[w->id].tick)) ev_timer_start(loop, &drains[w->id].tick);
}

void shutdown_init(void) {
    drains = calloc((size_t)server.nworkers, sizeof(*drains));
    if (!drains) abort();
    for (int i = 0; i < server.nworkers; i++) {
        struct worker *w = &server.workers[i];
        struct drain *d = &drains[i];
        ev_async_init(&d->start, on_start);
        d->start.data = w;
        ev_async_start(w->loop, &d->start);
        ev_timer_init(&d->tick, on_tick, 0, SHUTDOWN_TICK_MS / 1000.0);
        d->tick.data = w;
    }
}

static void *leave_main(void *arg) {
    (void)arg;
    cluster_stop();
    atomic_store(&leave_done, 1);
    return NULL;
}

void shutdown_begin(const char *signame) {
    (void)signame;
    if (atomic_exchange(&draining, 1)) return;
    atomic_store(&deadline_ms, mstime() + (int64_t)cfg.shutdown_timeout * 1000);
    serverlog(LL_WARNING, "User requested shutdown...");

    /* 1. no new connections */
    listeners_close();
    listeners_closed = 1;
    serverlog(LL_NOTICE,
              "Stopped accepting connections; draining %d connection%s for at most %d s "
              "(shutdown-timeout)", atomic_load(&server.connected_clients),
              atomic_load(&server.connected_clients) == 1 ? "" : "s", cfg.shutdown_timeout);

    /* 2. leave the cluster while the connections are served */
    if (cluster_enabled()) {
        sigset_t all, old;
        sigfillset(&all);   /* signals belong to the main thread's loop */
        pthread_sigmask(SIG_BLOCK, &all, &old);
        leave_started = pthread_create(&leave_thread, NULL, leave_main, NULL) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!leave_started) cluster_stop();
    }

    /* 3. every worker drains its connections; worker 0's tick ends it */
    for (int i = 0; i < server.nworkers; i++)
        ev_async_send(server.workers[i].loop, &drains[i].start);
}

int shutdown_draining(void) {
    return atomic_load(&draining);
}

int64_t shutdown_remaining_ms(void) {
    if (!atomic_load(&draining)) return -1;
    int64_t left = atomic_load(&deadline_ms) - mstime();
    return left > 0 ? left : 0;
}

void shutdown_finish(void) {
    if (!atomic_load(&draining)) {
        /* SHUTDOWN: announce the leave while the workers still serve */
        cluster_stop();
    } else if (leave_started) {
        pthread_join(leave_thread, NULL);
        leave_started = 0;
    }
    if (!listeners_closed) {
        listeners_close();
        listeners_closed = 1;
    }
}
