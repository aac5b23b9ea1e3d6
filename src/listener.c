/* listener.c -- listening sockets and the accept loop, on worker 0's loop.
 * Accepted sockets get their options here and are handed to a worker. */
#include "listener.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "server.h"
#include "worker.h"

#define MAX_LISTENERS (CONFIG_MAX_BIND + 1)
#define MAX_ACCEPTS_PER_CALL 1000

static struct listener {
    ev_io io;
    int is_unix;
} listeners[MAX_LISTENERS];
static int nlisteners;

/* Out of file descriptors: accepting again at once would spin, so the
 * listeners rest for a moment (the pending connections wait in the
 * kernel's backlog). */
#define ACCEPT_BACKOFF_S 0.1
static ev_timer accept_backoff;

static void listeners_resume(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)t;
    (void)revents;
    for (int i = 0; i < nlisteners; i++) ev_io_start(loop, &listeners[i].io);
}

static void listeners_pause(struct ev_loop *loop) {
    if (ev_is_active(&accept_backoff)) return;
    serverlog(LL_WARNING, "Out of file descriptors accepting clients: pausing accepts for %d ms",
              (int)(ACCEPT_BACKOFF_S * 1000));
    for (int i = 0; i < nlisteners; i++) ev_io_stop(loop, &listeners[i].io);
    ev_timer_init(&accept_backoff, listeners_resume, ACCEPT_BACKOFF_S, 0);
    ev_timer_start(loop, &accept_backoff);
}

static const char max_clients_msg[] = "-ERR max number of clients reached\r\n";

static void on_accept(struct ev_loop *loop, ev_io *io, int revents) {
    (void)revents;
    struct listener *l = (struct listener *)io;

    for (int i = 0; i < MAX_ACCEPTS_PER_CALL; i++) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE) listeners_pause(loop);
            else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                serverlog(LL_WARNING, "Accepting client connection: %s", strerror(errno));
            return;
        }
        /* The slot is taken here, before the hand-off to another worker,
         * so a burst of connections cannot overshoot maxclients. Every
         * path that drops the connection gives it back. */
        if (atomic_fetch_add(&server.connected_clients, 1) >= cfg.maxclients) {
            atomic_fetch_sub(&server.connected_clients, 1);
            ssize_t n = write(fd, max_clients_msg, sizeof(max_clients_msg) - 1);
            (void)n;
            close(fd);
            self_worker->stats.rejected_conn++;
            continue;
        }
        if (!l->is_unix) {
            net_set_nodelay(fd);
            if (cfg.tcp_keepalive > 0) net_set_keepalive(fd, cfg.tcp_keepalive);
        }
        serverlog(LL_VERBOSE, "Accepted connection fd=%d", fd);
        worker_adopt(fd, l->is_unix);
    }
}

static void add_listener(int fd, int is_unix) {
    struct listener *l = &listeners[nlisteners++];
    l->is_unix = is_unix;
    ev_io_init(&l->io, on_accept, fd, EV_READ);
    ev_io_start(server.workers[0].loop, &l->io);
}

int listeners_open(void) {
    char err[NET_ERR_LEN];

    if (cfg.port != 0) {
        for (int i = 0; i < cfg.bind_count; i++) {
            const char *addr = cfg.bind[i];
            int optional = addr[0] == '-';
            if (optional) addr++;
            int fd = net_listen_tcp(addr, cfg.port, cfg.tcp_backlog, err);
            if (fd < 0) {
                if (optional && (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT ||
                                 errno == EPROTONOSUPPORT || errno == ESOCKTNOSUPPORT ||
                                 errno == EINVAL))
                    continue;
                serverlog(LL_WARNING, "Warning: Could not create server TCP listening socket %s:%d: %s",
                          addr, cfg.port, err);
                return -1;
            }
            add_listener(fd, 0);
        }
    }
    if (cfg.unixsocket) {
        int fd = net_listen_unix(cfg.unixsocket, cfg.unixsocketperm, cfg.tcp_backlog, err);
        if (fd < 0) {
            serverlog(LL_WARNING, "Failed opening Unix socket: %s", err);
            return -1;
        }
        add_listener(fd, 1);
    }
    if (nlisteners == 0) {
        serverlog(LL_WARNING, "Configured to not listen anywhere, exiting.");
        return -1;
    }
    return 0;
}

/* As Redis's adjustOpenFilesLimit: raise the descriptor limit to what
 * maxclients needs (plus room for listeners, logs, the cluster), or lower
 * maxclients to what the system allows. */
#define RESERVED_FDS 32

void listeners_fit_maxclients(void) {
    struct rlimit rl;
    rlim_t need = (rlim_t)cfg.maxclients + RESERVED_FDS;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need) return;
    rlim_t want = need <= rl.rlim_max ? need : rl.rlim_max;
    struct rlimit raised = {want, rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) rl.rlim_cur = want;
    if (rl.rlim_cur >= need) return;
    int max = rl.rlim_cur > RESERVED_FDS ? (int)(rl.rlim_cur - RESERVED_FDS) : 1;
    serverlog(LL_WARNING,
              "You requested maxclients of %d requiring at least %llu max file descriptors; "
              "the limit is %llu. maxclients has been reduced to %d to compensate for low ulimit.",
              cfg.maxclients, (unsigned long long)need, (unsigned long long)rl.rlim_cur, max);
    cfg.maxclients = max;
}

void listeners_close(void) {
    for (int i = 0; i < nlisteners; i++) {
        ev_io_stop(server.workers[0].loop, &listeners[i].io);
        close(listeners[i].io.fd);
    }
    nlisteners = 0;
    if (cfg.unixsocket) unlink(cfg.unixsocket);
}
