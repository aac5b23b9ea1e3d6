/* connection.c -- a client connection's life on its worker thread: read,
 * parse every complete command in what arrived, run them, then write all
 * their replies in as few writes as possible.
 *
 * The query buffer holds the bytes of the command being parsed (and any
 * pipelined commands after it). When the parser learns that a large bulk
 * argument is coming, the buffer is sized for the whole command at once, so
 * the argument is read straight into place and never copied while it
 * arrives. Arguments point into the buffer (no copy) while they run. */
#include "connection.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client_info.h"
#include "dispatch.h"
#include "forward.h"
#include "log.h"
#include "multi.h"
#include "util.h"

#define READ_CHUNK (16 * 1024)
#define WRITE_IOV_MAX 64
#define QBUF_KEEP_MAX (64 * 1024)        /* an empty query buffer above this is freed */
/* A client whose unsent replies pass OUTPUT_PAUSE has its commands left
 * unexecuted until they drain below OUTPUT_RESUME: a pipeline of big GETs
 * from a client that does not read cannot monopolise its worker. Its input
 * is still read (up to client-query-buffer-limit), so a client that writes
 * its whole pipeline before reading is never blocked by us. Replies
 * themselves stay unbounded, as Redis's normal clients' are. */
#define OUTPUT_PAUSE (4u << 20)
#define OUTPUT_RESUME (1u << 20)
/* Likewise for forwarded commands still waiting for their owner: a client
 * pipelining faster than the owners answer waits, instead of queueing
 * without bound here and on the peer links. */
#define FORWARD_PAUSE 4096
#define FORWARD_RESUME 1024
/* Commands run under one shared hold of the keyspace lock: a waiting
 * exclusive command (EXEC, SWAPDB...) gets its turn after at most this. */
#define BATCH_LOCK_COMMANDS 256

static void on_readable(struct ev_loop *loop, ev_io *w, int revents);
static void on_writable(struct ev_loop *loop, ev_io *w, int revents);

struct client *client_create(struct worker *w, int fd, int is_unix, const char *addr,
                             const char *laddr) {
    struct client *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        atomic_fetch_sub(&server.connected_clients, 1); /* taken at accept */
        return NULL;
    }
    c->id = atomic_fetch_add(&server.next_client_id, 1);
    c->fd = fd;
    c->worker = w;
    c->resp = 2;
    c->db = 0;
    unsigned flags = is_unix ? CLIENT_UNIX_SOCKET : 0;
    if (cfg.requirepass == NULL) flags |= CLIENT_AUTHENTICATED;
    atomic_init(&c->flags, flags);
    snprintf(c->addr, sizeof(c->addr), "%s", addr);
    snprintf(c->laddr, sizeof(c->laddr), "%s", laddr);
    c->ctime_ms = c->last_interaction_ms = mstime();
    resp_parser_init(&c->parser);

    ev_io_init(&c->read_ev, on_readable, fd, EV_READ);
    c->read_ev.data = c;
    ev_io_init(&c->write_ev, on_writable, fd, EV_WRITE);
    c->write_ev.data = c;

    pthread_mutex_lock(&w->clients_lock);
    c->next = w->clients;
    if (w->clients) w->clients->prev = c;
    w->clients = c;
    w->nclients++;
    pthread_mutex_unlock(&w->clients_lock);
    w->stats.connections++;

    const char *refusal;
    if (protected_mode_refuses(c, &refusal)) {
        /* Best effort, as Redis: the client may not even read it. */
        ssize_t n = write(fd, refusal, strlen(refusal));
        (void)n;
        w->stats.rejected_conn++;
        client_close(c);
        return NULL;
    }
    ev_io_start(w->loop, &c->read_ev);
    return c;
}

static void free_replies(struct client *c) {
    struct reply_block *b = c->reply_head;
    while (b) {
        struct reply_block *next = b->next;
        free(b);
        b = next;
    }
    c->reply_head = c->reply_tail = NULL;
    c->reply_bytes = 0;
    c->sent_in_head = 0;
}

void client_close(struct client *c) {
    struct worker *w = c->worker;
    ev_io_stop(w->loop, &c->read_ev);
    ev_io_stop(w->loop, &c->write_ev);

    pthread_mutex_lock(&w->clients_lock);
    if (c->prev) c->prev->next = c->next;
    else w->clients = c->next;
    if (c->next) c->next->prev = c->prev;
    w->nclients--;
    pthread_mutex_unlock(&w->clients_lock);

    if (atomic_load(&c->flags) & CLIENT_FLUSH_PENDING) {
        struct client **pp = &w->flush_list;
        while (*pp != c) pp = &(*pp)->flush_next;
        *pp = c->flush_next;
    }
    forward_client_closed(c);
    multi_free_client(c);
    close(c->fd);
    atomic_fetch_sub(&server.connected_clients, 1);
    free_replies(c);
    resp_parser_free(&c->parser);
    free(c->qbuf);
    free(c->argv);
    free(c->name);
    free(c->lib_name);
    free(c->lib_ver);
    free(c);
}

void client_request_close(struct client *c) {
    atomic_fetch_or(&c->flags, CLIENT_CLOSE_ASAP);
    ev_async_send(c->worker->loop, &c->worker->wakeup);
}

/* ---- writing ---- */

/* Writes queued replies; returns -1 if the client was closed. */
static int client_write(struct client *c) {
    while (c->reply_head) {
        struct iovec iov[WRITE_IOV_MAX];
        int n = 0;
        size_t total = 0;
        for (struct reply_block *b = c->reply_head; b && !b->hole && n < WRITE_IOV_MAX; b = b->next) {
            size_t off = (b == c->reply_head) ? c->sent_in_head : 0;
            if (b->used == off) continue;
            iov[n].iov_base = b->buf + off;
            iov[n].iov_len = b->used - off;
            total += iov[n].iov_len;
            n++;
        }
        if (n == 0) break;
        ssize_t written = writev(c->fd, iov, n);
        if (written < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            if (errno == EINTR) continue;
            serverlog(LL_VERBOSE, "Error writing to client: %s", strerror(errno));
            client_close(c);
            return -1;
        }
        c->worker->stats.net_output_bytes += (uint64_t)written;
        c->reply_bytes -= (size_t)written;
        c->last_interaction_ms = mstime();
        /* release fully written blocks; keep the last one for reuse */
        size_t left = (size_t)written;
        while (c->reply_head && left > 0) {
            struct reply_block *b = c->reply_head;
            size_t avail = b->used - c->sent_in_head;
            if (left < avail) {
                c->sent_in_head += left;
                left = 0;
                break;
            }
            left -= avail;
            c->sent_in_head = 0;
            if (b->next) {
                c->reply_head = b->next;
                free(b);
            } else {
                b->used = 0;
            }
        }
        if ((size_t)written < total) return 0;
    }
    return 0;
}

/* Whether there is something to write now: bytes before the first hole. */
static int replies_pending(const struct client *c) {
    for (const struct reply_block *b = c->reply_head; b && !b->hole; b = b->next)
        if (b->used > (b == c->reply_head ? c->sent_in_head : 0)) return 1;
    return 0;
}

static int output_paused(const struct client *c) {
    return c->reply_bytes > OUTPUT_PAUSE || c->fwd_pending > FORWARD_PAUSE;
}

static void process_input(struct client *c);

/* Sends what the batch produced; arms the write watcher if the socket is
 * full; resumes a paused client's input once its replies have drained.
 * Returns -1 if the client is gone. */
static int client_flush(struct client *c) {
    for (;;) {
        if (replies_pending(c) && client_write(c) < 0) return -1;
        if (!(atomic_load(&c->flags) & CLIENT_INPUT_PAUSED) || c->reply_bytes > OUTPUT_RESUME ||
            c->fwd_pending > FORWARD_RESUME)
            break;
        atomic_fetch_and(&c->flags, ~CLIENT_INPUT_PAUSED);
        process_input(c);
    }
    if (replies_pending(c)) {
        if (!ev_is_active(&c->write_ev)) ev_io_start(c->worker->loop, &c->write_ev);
        return 0;
    }
    if (ev_is_active(&c->write_ev)) ev_io_stop(c->worker->loop, &c->write_ev);
    if ((atomic_load(&c->flags) & CLIENT_CLOSE_ASAP) ||
        ((atomic_load(&c->flags) & CLIENT_CLOSE_AFTER_REPLY) && c->fwd_pending == 0)) {
        client_close(c);
        return -1;
    }
    return 0;
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    client_flush(w->data);
}

void client_flush_later(struct client *c) {
    if (atomic_fetch_or(&c->flags, CLIENT_FLUSH_PENDING) & CLIENT_FLUSH_PENDING) return;
    c->flush_next = c->worker->flush_list;
    c->worker->flush_list = c;
}

void connection_flush_pending(struct worker *w) {
    struct client *c;
    while ((c = w->flush_list)) {
        w->flush_list = c->flush_next;
        atomic_fetch_and(&c->flags, ~(unsigned)CLIENT_FLUSH_PENDING);
        client_flush(c);
    }
}

/* ---- reading and parsing ---- */

static int qbuf_reserve(struct client *c, size_t want_free) {
    if (c->qcap - c->qlen >= want_free) return 0;
    /* move the unparsed tail to the front before growing */
    if (c->qpos > 0) {
        memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
        c->qlen -= c->qpos;
        c->qpos = 0;
        if (c->qcap - c->qlen >= want_free) return 0;
    }
    size_t cap = c->qlen + want_free;
    if (cap < 2 * c->qcap && want_free <= READ_CHUNK) cap = 2 * c->qcap;
    char *n = realloc(c->qbuf, cap);
    if (!n) return -1;
    c->qbuf = n;
    c->qcap = cap;
    return 0;
}

static void set_argv(struct client *c) {
    struct resp_parser *p = &c->parser;
    if (p->argc > c->argv_cap) {
        int cap = c->argv_cap ? c->argv_cap : 8;
        while (cap < p->argc) cap *= 2;
        struct arg *n = realloc(c->argv, (size_t)cap * sizeof(*n));
        if (!n) abort();
        c->argv = n;
        c->argv_cap = cap;
    }
    char *base = p->is_inline ? p->inline_buf : c->qbuf + c->qpos;
    for (int i = 0; i < p->argc; i++) {
        c->argv[i].ptr = base + p->argv[i].off;
        c->argv[i].len = p->argv[i].len;
    }
    c->argc = p->argc;
}

static void protocol_error(struct client *c, const char *msg) {
    reply_errorf(c, "ERR %s", msg);
    serverlog(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", msg,
              (unsigned long long)c->id, c->addr);
    atomic_fetch_or(&c->flags, CLIENT_CLOSE_AFTER_REPLY);
}

/* Runs every complete command in the buffer. */
static void process_input(struct client *c) {
    struct resp_parser *p = &c->parser;
    int ran = 0;

    while (c->qpos < c->qlen &&
           !(atomic_load_explicit(&c->flags, memory_order_relaxed) &
             (CLIENT_CLOSE_AFTER_REPLY | CLIENT_CLOSE_ASAP))) {
        if (output_paused(c)) {
            /* resumed by client_flush once the replies drain */
            atomic_fetch_or(&c->flags, CLIENT_INPUT_PAUSED);
            break;
        }
        p->max_bulk_len = cfg.proto_max_bulk_len;
        p->auth_required = cfg.requirepass && !(atomic_load_explicit(&c->flags, memory_order_relaxed) &
                                                CLIENT_AUTHENTICATED);
        enum resp_status st = resp_parse(p, c->qbuf + c->qpos, c->qlen - c->qpos);
        if (st == RESP_MORE) {
            /* A big bulk on its way: make room for the whole command now
             * so it is read in place, never moved again. */
            if (p->need >= RESP_BIG_ARG && c->qpos + p->need > c->qcap) {
                if (qbuf_reserve(c, p->need - (c->qlen - c->qpos)) < 0) {
                    protocol_error(c, "out of memory reading the request");
                }
            }
            break;
        }
        if (st == RESP_ERROR) {
            protocol_error(c, p->error);
            break;
        }
        if (st == RESP_COMMAND) {
            set_argv(c);
            dispatch_command(c);
            c->argc = 0;
            if (++ran % BATCH_LOCK_COMMANDS == 0) dispatch_batch_done(c->worker);
        }
        c->qpos += p->pos;
        resp_parser_reset(p);
    }
    dispatch_batch_done(c->worker);
    if (c->qpos == c->qlen) {
        c->qpos = c->qlen = 0;
        if (c->qcap > QBUF_KEEP_MAX) {
            /* don't keep a big argument's buffer for the client's life */
            free(c->qbuf);
            c->qbuf = NULL;
            c->qcap = 0;
        }
    }
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    struct client *c = w->data;
    size_t want = READ_CHUNK;
    struct resp_parser *p = &c->parser;

    /* The rest of a big bulk: exactly what is missing, into the room
     * reserved for it, so the buffer is neither grown nor moved again. */
    if (p->need >= RESP_BIG_ARG && c->qpos + p->need > c->qlen) want = c->qpos + p->need - c->qlen;
    if (qbuf_reserve(c, want) < 0) {
        client_close(c);
        return;
    }
    ssize_t n = read(c->fd, c->qbuf + c->qlen, want);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        serverlog(LL_VERBOSE, "Reading from client: %s", strerror(errno));
        client_close(c);
        return;
    }
    if (n == 0) {
        serverlog(LL_VERBOSE, "Client closed connection id=%llu addr=%s",
                  (unsigned long long)c->id, c->addr);
        client_close(c);
        return;
    }
    c->qlen += (size_t)n;
    c->worker->stats.net_input_bytes += (uint64_t)n;
    c->last_interaction_ms = mstime();   /* idle time counts any traffic */
    if (c->qlen - c->qpos > c->qbuf_peak) c->qbuf_peak = c->qlen - c->qpos;

    if ((long long)(c->qlen - c->qpos) > cfg.client_query_buffer_limit) {
        serverlog(LL_WARNING,
                  "Closing client that reached max query buffer length: id=%llu addr=%s "
                  "(qbuf initial bytes: \"%.32s\")",
                  (unsigned long long)c->id, c->addr, c->qbuf + c->qpos);
        client_close(c);
        return;
    }
    if (!(atomic_load_explicit(&c->flags, memory_order_relaxed) & CLIENT_INPUT_PAUSED))
        process_input(c);
    client_flush(c);
}

/* Closes clients other threads asked to close (CLIENT KILL). */
void connection_reap(struct worker *w) {
    struct client *c = w->clients, *next;
    while (c) {
        next = c->next;
        if (atomic_load(&c->flags) & CLIENT_CLOSE_ASAP) client_close(c);
        c = next;
    }
}

/* Idle clients past cfg.timeout are closed, as Redis's clientsCron. */
void connection_timeouts(struct worker *w, int64_t now) {
    if (cfg.timeout <= 0) return;
    struct client *c = w->clients, *next;
    while (c) {
        next = c->next;
        if (now - c->last_interaction_ms > (int64_t)cfg.timeout * 1000) {
            serverlog(LL_VERBOSE, "Closing idle client");
            client_close(c);
        }
        c = next;
    }
}
