/* metrics_http.c -- the metrics listener: a small HTTP/1.x server on a
 * thread of its own (see metrics.h for why and what it serves).
 *
 * Hardening: every connection is one request (Connection: close) and goes
 * through three phases, each bounded in time:
 * - read: the head must arrive whole within READ_TIMEOUT of the accept
 *   (not reset by each byte, so a client trickling bytes gets no longer),
 *   in at most MAX_REQUEST bytes (http_request.c says 414 or 431); 408 at
 *   the deadline; garbage is refused as soon as it is seen;
 * - write: the reply must be taken within WRITE_TIMEOUT, or the
 *   connection is dropped;
 * - linger: once the reply is written, the write side is shut and what
 *   the client still sends (an unread body, the rest of an oversized head)
 *   is read and dropped for up to LINGER_TIMEOUT or LINGER_BYTES, so that
 *   closing with unread bytes does not reset the connection under the
 *   reply before the client read it.
 * At most MAX_CONNS connections are open; past that a connection gets a
 * 503 and is closed at once.
 *
 * Health: a timer samples every event loop's progress and the cluster's
 * view every SAMPLE_PERIOD, and every /healthz and /readyz samples again;
 * the decisions are health.c's. */
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "cluster.h"
#include "command.h"
#include "config.h"
#include "health.h"
#include "http_request.h"
#include "log.h"
#include "memory.h"
#include "net.h"
#include "server.h"
#include "shutdown.h"
#include "util.h"

#define MAX_REQUEST 8192            /* bytes of request head */
#define MAX_CONNS 16                /* connections at a time */
#define READ_TIMEOUT 5.0            /* s from accept to a whole head */
#define WRITE_TIMEOUT 5.0           /* s to take the reply */
#define LINGER_TIMEOUT 1.0          /* s of reading after the reply */
#define LINGER_BYTES (64 * 1024)
#define SAMPLE_PERIOD 0.25          /* s between health samples */
#define ACCEPT_BURST 32
#define ACCEPT_PAUSE 0.1            /* s without accepting when out of fds */

#define CONTENT_TYPE_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TYPE_TEXT "text/plain; charset=utf-8"

enum phase { PH_READ, PH_WRITE, PH_LINGER };

struct hconn {
    struct hconn *prev, *next;
    int fd;
    ev_io io;
    ev_timer timer;
    enum phase phase;
    size_t rlen;                    /* bytes of req held */
    char *out;                      /* the reply, head and body */
    size_t olen, opos;
    size_t drained;                 /* bytes read while lingering */
    char req[MAX_REQUEST];
};

static struct {
    int started;
    pthread_t thread;
    struct ev_loop *loop;
    int fd;
    ev_io accept_ev;
    ev_timer accept_pause;
    ev_async stop_async;
    ev_timer sample_timer;
    struct hconn *conns;
    int nconns;
    /* health */
    struct health_loop *loops;      /* the workers', then the cluster's */
    size_t nloops;
    struct liveness live;
    struct readiness ready;
} mh = {.fd = -1};

static int64_t now_ms(void) {
    return monotonic_us() / 1000;
}

/* From the first moment of a graceful shutdown (the SIGTERM drain) or of
 * SHUTDOWN. */
static int shutting_down(void) {
    return atomic_load(&server.shutdown_requested) || shutdown_draining();
}

/* ---- health ---- */

/* Every loop's progress: libev's iteration count for the workers (a
 * relaxed read of a counter their threads bump, like INFO's statistics;
 * their cron timers make them iterate at least hz times a second), and for
 * the cluster thread the view generation, which it republishes at least
 * every second. */
static void sample_loops(int64_t now) {
    for (int i = 0; i < server.nworkers; i++)
        liveness_sample(&mh.live, (size_t)i, ev_iteration(server.workers[i].loop), now);
    if (cluster_enabled())
        liveness_sample(&mh.live, (size_t)server.nworkers, cluster_view_generation(), now);
}

static int loops_started(void) {
    for (int i = 0; i < server.nworkers; i++)
        if (ev_iteration(server.workers[i].loop) == 0) return 0;
    return 1;
}

static int evaluate_ready(int64_t now, const char **why) {
    struct readiness_input in = {
        .shutting_down = shutting_down(),
        .loops_started = loops_started(),
        .cluster = cluster_enabled(),
        .has_seeds = cfg.cluster_seeds != NULL,
        .probe_interval_ms = cfg.cluster_probe_interval,
    };
    struct cluster_view *v = in.cluster ? cluster_view_get() : NULL;
    if (v) {
        for (size_t i = 0; i < v->nnodes; i++)
            if (!v->nodes[i].myself && v->nodes[i].state == SWIM_ALIVE) in.others_alive++;
        in.map_version = v->version;
        cluster_view_put(v);
    }
    return readiness_update(&mh.ready, &in, now, why);
}

int metrics_ready(void) {
    const char *why;
    return evaluate_ready(now_ms(), &why);
}

/* 1 when alive, else 0 with the reason in why. */
static int evaluate_live(int64_t now, char *why, size_t size) {
    int64_t stalled_ms = 0;
    /* shutting down, loops stop one after the other: still alive */
    if (shutting_down()) return 1;
    sample_loops(now);
    int i = liveness_stalled(&mh.live, now, &stalled_ms);
    if (i < 0) return 1;
    if (i < server.nworkers)
        snprintf(why, size, "worker %d event loop stalled for %lld ms\n", i, (long long)stalled_ms);
    else
        snprintf(why, size, "cluster thread stalled for %lld ms\n", (long long)stalled_ms);
    return 0;
}

static void on_sample(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    const char *why;
    int64_t now = now_ms();
    sample_loops(now);
    evaluate_ready(now, &why);   /* follows the slot map's changes */
}

/* ---- connections ---- */

static void conn_close(struct hconn *c) {
    ev_io_stop(mh.loop, &c->io);
    ev_timer_stop(mh.loop, &c->timer);
    close(c->fd);
    if (c->prev) c->prev->next = c->next;
    else mh.conns = c->next;
    if (c->next) c->next->prev = c->prev;
    mh.nconns--;
    free(c->out);
    free(c);
}

static void conn_phase(struct hconn *c, enum phase phase, int events, double timeout) {
    c->phase = phase;
    ev_io_stop(mh.loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(mh.loop, &c->io);
    ev_timer_stop(mh.loop, &c->timer);
    ev_timer_set(&c->timer, timeout, 0);
    ev_timer_start(mh.loop, &c->timer);
}

static const char *status_text(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

static void conn_write(struct hconn *c);

/* Queues the reply (no body for HEAD) and starts writing it. */
static void respond(struct hconn *c, int status, const char *type, const char *body, size_t blen,
                    int head_only) {
    char head[512];
    int hlen = snprintf(head, sizeof(head),
                        "HTTP/1.1 %d %s\r\n"
                        "Content-Type: %s\r\n"
                        "Content-Length: %zu\r\n"
                        "Cache-Control: no-store\r\n"
                        "%s"
                        "Connection: close\r\n\r\n",
                        status, status_text(status), type, blen,
                        status == 405 ? "Allow: GET, HEAD\r\n" : "");
    size_t total = (size_t)hlen + (head_only ? 0 : blen);
    c->out = malloc(total);
    if (!c->out) {
        conn_close(c);
        return;
    }
    memcpy(c->out, head, (size_t)hlen);
    if (!head_only) memcpy(c->out + hlen, body, blen);
    c->olen = total;
    c->opos = 0;
    conn_phase(c, PH_WRITE, EV_WRITE, WRITE_TIMEOUT);
    conn_write(c);
}

static void respond_text(struct hconn *c, int status, const char *text, int head_only) {
    respond(c, status, CONTENT_TYPE_TEXT, text, strlen(text), head_only);
}

static int token_is(const char *p, size_t len, const char *s) {
    return len == strlen(s) && memcmp(p, s, len) == 0;
}

static void route(struct hconn *c, const struct http_request *req) {
    int get = token_is(req->method, req->method_len, "GET");
    int head = token_is(req->method, req->method_len, "HEAD");
    int metrics = token_is(req->path, req->path_len, "/metrics");
    int healthz = token_is(req->path, req->path_len, "/healthz");
    int readyz = token_is(req->path, req->path_len, "/readyz");

    if (!metrics && !healthz && !readyz) {
        respond_text(c, 404, "not found: try /metrics, /healthz or /readyz\n", head);
        return;
    }
    if (!get && !head) {
        respond_text(c, 405, "method not allowed: GET or HEAD\n", 0);
        return;
    }
    int64_t now = now_ms();
    if (metrics) {
        size_t len;
        char *body = metrics_render(&len);
        if (!body) {
            respond_text(c, 503, "out of memory\n", head);
            return;
        }
        respond(c, 200, CONTENT_TYPE_PROM, body, len, head);
        free(body);
    } else if (healthz) {
        char why[128];
        if (evaluate_live(now, why, sizeof(why))) respond_text(c, 200, "ok\n", head);
        else respond_text(c, 503, why, head);
    } else {
        const char *why;
        char text[160];
        int ok = evaluate_ready(now, &why);
        snprintf(text, sizeof(text), ok ? "%s\n" : "not ready: %s\n", why);
        respond_text(c, ok ? 200 : 503, text, head);
    }
}

static void conn_read(struct hconn *c) {
    int eof = 0;
    while (c->rlen < MAX_REQUEST) {
        ssize_t n = recv(c->fd, c->req + c->rlen, MAX_REQUEST - c->rlen, 0);
        if (n > 0) {
            c->rlen += (size_t)n;
        } else if (n == 0) {
            eof = 1;
            break;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            conn_close(c);
            return;
        }
    }
    struct http_request req;
    switch (http_parse_request(c->req, c->rlen, MAX_REQUEST, &req)) {
    case HTTP_COMPLETE:
        route(c, &req);   /* also after a half-close: the client still reads */
        return;
    case HTTP_ERROR:
        respond_text(c, req.status, "bad request\n", 0);
        return;
    case HTTP_INCOMPLETE:
        if (eof) conn_close(c);
        return;
    }
}

static void conn_write(struct hconn *c) {
    while (c->opos < c->olen) {
        ssize_t n = send(c->fd, c->out + c->opos, c->olen - c->opos, MSG_NOSIGNAL);
        if (n > 0) {
            c->opos += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            conn_close(c);
            return;
        }
    }
    free(c->out);
    c->out = NULL;
    shutdown(c->fd, SHUT_WR);
    c->drained = 0;
    conn_phase(c, PH_LINGER, EV_READ, LINGER_TIMEOUT);
}

/* Reads and drops what the client still sends until it closes. */
static void conn_linger(struct hconn *c) {
    char buf[4096];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0 || (c->drained += (size_t)n) >= LINGER_BYTES) break;
    }
    conn_close(c);
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    struct hconn *c = w->data;
    switch (c->phase) {
    case PH_READ: conn_read(c); break;
    case PH_WRITE: conn_write(c); break;
    case PH_LINGER: conn_linger(c); break;
    }
}

static void on_conn_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    struct hconn *c = w->data;
    if (c->phase == PH_READ) respond_text(c, 408, "request timeout\n", 0);
    else conn_close(c);
}

static void refuse_busy(int fd) {
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
                               "Content-Type: " CONTENT_TYPE_TEXT "\r\n"
                               "Content-Length: 5\r\n"
                               "Retry-After: 1\r\n"
                               "Connection: close\r\n\r\n"
                               "busy\n";
    (void)!send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    close(fd);
}

static void on_accept_resume(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)w;
    (void)revents;
    ev_io_start(loop, &mh.accept_ev);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents) {
    (void)revents;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* out of descriptors: a level-triggered watcher would spin */
                ev_io_stop(loop, &mh.accept_ev);
                ev_timer_set(&mh.accept_pause, ACCEPT_PAUSE, 0);
                ev_timer_start(loop, &mh.accept_pause);
            }
            return;
        }
        struct hconn *c = mh.nconns < MAX_CONNS ? malloc(sizeof(*c)) : NULL;
        if (!c) {
            refuse_busy(fd);
            continue;
        }
        c->fd = fd;
        c->rlen = 0;
        c->out = NULL;
        c->olen = c->opos = c->drained = 0;
        c->prev = NULL;
        c->next = mh.conns;
        if (mh.conns) mh.conns->prev = c;
        mh.conns = c;
        mh.nconns++;
        ev_io_init(&c->io, on_conn_io, fd, EV_READ);
        c->io.data = c;
        ev_timer_init(&c->timer, on_conn_timeout, READ_TIMEOUT, 0);
        c->timer.data = c;
        conn_phase(c, PH_READ, EV_READ, READ_TIMEOUT);
    }
}

/* ---- the thread ---- */

static void on_stop(struct ev_loop *loop, ev_async *w, int revents) {
    (void)w;
    (void)revents;
    ev_break(loop, EVBREAK_ALL);
}

static void *metrics_main(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "shoal-metrics");
    memory_thread_init();
    ev_run(mh.loop, 0);

    while (mh.conns) conn_close(mh.conns);
    ev_io_stop(mh.loop, &mh.accept_ev);
    ev_timer_stop(mh.loop, &mh.accept_pause);
    ev_timer_stop(mh.loop, &mh.sample_timer);
    ev_async_stop(mh.loop, &mh.stop_async);
    close(mh.fd);
    mh.fd = -1;
    return NULL;
}

int metrics_start(void) {
    char err[NET_ERR_LEN];

    if (cfg.metrics_port == 0) return 0;
    mh.nloops = (size_t)server.nworkers + 1;
    mh.loops = calloc(mh.nloops, sizeof(*mh.loops));
    mh.loop = ev_loop_new(EVFLAG_AUTO);
    if (!mh.loops || !mh.loop || metrics_histograms_init(server.nworkers, command_count()) < 0) {
        serverlog(LL_WARNING, "Out of memory starting the metrics listener");
        return -1;
    }
    mh.fd = net_listen_tcp(cfg.metrics_bind, cfg.metrics_port, 64, err);
    if (mh.fd < 0) {
        serverlog(LL_WARNING, "Could not create the metrics listener: %s", err);
        return -1;
    }
    /* the cluster's slot is only sampled when the cluster is on */
    liveness_init(&mh.live, mh.loops, cluster_enabled() ? mh.nloops : mh.nloops - 1, now_ms());

    ev_io_init(&mh.accept_ev, on_accept, mh.fd, EV_READ);
    ev_io_start(mh.loop, &mh.accept_ev);
    ev_timer_init(&mh.accept_pause, on_accept_resume, ACCEPT_PAUSE, 0);
    ev_async_init(&mh.stop_async, on_stop);
    ev_async_start(mh.loop, &mh.stop_async);
    ev_timer_init(&mh.sample_timer, on_sample, SAMPLE_PERIOD, SAMPLE_PERIOD);
    ev_timer_start(mh.loop, &mh.sample_timer);

    sigset_t all, old;
    sigfillset(&all);   /* signals belong to the main thread's loop */
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&mh.thread, NULL, metrics_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        serverlog(LL_WARNING, "Can't start the metrics thread: %s", strerror(rc));
        return -1;
    }
    mh.started = 1;
    serverlog(LL_NOTICE, "Metrics on %s port %d: /metrics, /healthz, /readyz", cfg.metrics_bind,
              cfg.metrics_port);
    return 0;
}

void metrics_stop(void) {
    if (!mh.started) return;
    ev_async_send(mh.loop, &mh.stop_async);
    pthread_join(mh.thread, NULL);
    mh.started = 0;
    ev_loop_destroy(mh.loop);
    mh.loop = NULL;
}
