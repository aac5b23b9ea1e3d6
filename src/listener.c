/* listener.c -- listening sockets and the accept loop, on worker 0's loop.
 * Accepted sockets get their options here and are handed to a worker. */
#include "listener.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static const char max_clients_msg[] = "-ERR max number of clients reached\r\n";

static void on_accept(struct ev_loop *loop, ev_io *io, int revents) {
    (void)loop;
    (void)revents;
    struct listener *l = (struct listener *)io;

    for (int i = 0; i < MAX_ACCEPTS_PER_CALL; i++) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                serverlog(LL_WARNING, "Accepting client connection: %s", strerror(errno));
            return;
        }
        if (atomic_load(&server.connected_clients) >= cfg.maxclients) {
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

void listeners_close(void) {
    for (int i = 0; i < nlisteners; i++) {
        ev_io_stop(server.workers[0].loop, &listeners[i].io);
        close(listeners[i].io.fd);
    }
    nlisteners = 0;
    if (cfg.unixsocket) unlink(cfg.unixsocket);
}
