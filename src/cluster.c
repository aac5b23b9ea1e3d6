/* cluster.c -- the cluster layer: runs the SWIM core (swim.c) on a thread of
 * its own, with its own libev loop, so membership timing never waits behind
 * client traffic (see cluster.h for what the rest of the server sees).
 *
 * On cluster-port this thread owns:
 * - a UDP socket for SWIM's packets: every packet received is fed to
 *   swim_on_packet; after every input and timer the core's outputs are
 *   drained (packets sent, push-pulls started, member events logged) and
 *   its timer re-armed at swim_next_timer ("pump");
 * - a TCP listener for push-pull: the anti-entropy exchange of the full
 *   member list, also how a node joins. One exchange per connection, one
 *   frame each way: "SHC1", a 32-bit big-endian length, then the bytes of
 *   swim_encode_state. The side that connected writes first, then reads
 *   the answer; both merge what they read. Frames are bounded, every
 *   connection has a deadline, and a connection that sends anything else
 *   is closed and counted (in the view's stats.dropped), never trusted.
 *
 * Join: cluster-seeds is resolved (getaddrinfo, on this thread: a slow DNS
 * stalls only a node that has no one to probe anyway) and a push-pull is
 * made with every address, retrying with exponential backoff, re-resolving
 * each time (a Kubernetes headless service's name gives the pods of the
 * moment), until some other member is alive. The seeds are also handed to
 * the core, which retries them at its reconnect interval afterwards: with
 * its retries of dead members, that is what heals a partition.
 *
 * Leave (cluster_stop, on SIGTERM and SHUTDOWN): swim_leave, whose update
 * gossip spreads, plus push-pulls to a few alive members, which carry the
 * "left" state over TCP; the loop runs until that many confirmed or
 * cluster-leave-timeout passed.
 *
 * Views: each change of membership (and at most once a second, for fresh
 * statistics and RTTs) publishes a new immutable struct cluster_view. The
 * slot map is rebuilt only when the set of owners changed; views in between
 * share it. Readers take a reference under a mutex (the swap is rare; the
 * lock only covers a pointer load and an increment), and the last put frees
 * a view.
 *
 * Time: the core runs on the monotonic clock, so wall-clock steps never fire
 * or starve its timers; times in views are converted to wall-clock ms. */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "log.h"
#include "memory.h"
#include "util.h"

#define FRAME_MAGIC "SHC1"
#define FRAME_HDR 8
#define MAX_STATE (4u << 20)         /* room for tens of thousands of members */
#define MAX_CONNS 32                 /* concurrent exchanges, per direction */
#define UDP_BURST 64                 /* packets read per wake-up, then pump */
#define UDP_DRAIN_MAX 4096           /* read before timers run (see on_swim_timer) */
#define LEAVE_CONFIRMATIONS 3        /* members told over TCP before stopping */
#define VIEW_REFRESH_MS 1000         /* republish for stats even without changes */
#define MAX_SEED_ADDRS 64            /* resolved per join attempt */

enum purpose { P_SERVE, P_SYNC, P_JOIN, P_LEAVE };
enum phase { PH_CONNECT, PH_WRITE, PH_READ };

/* One push-pull exchange over TCP, either direction. */
struct conn {
    struct conn *prev, *next;
    int fd;
    ev_io io;
    ev_timer deadline;
    enum purpose purpose;
    enum phase phase;
    char peer_text[64];             /* for log lines */
    unsigned char hdr[FRAME_HDR];
    size_t hdr_got;
    unsigned char *buf;             /* write: header + state; read: the state */
    size_t len, done, cap;
};

/* A view with what cluster.c keeps beside it: its share of the slot map. */
struct shared_map {
    struct slotmap *map;
    atomic_int refs;
};

struct view_box {
    struct cluster_view v;          /* first: put() converts back */
    struct shared_map *map;
};

static struct {
    int enabled, started;
    struct swim *swim;
    struct swim_addr self;
    int cport, client_port;
    int family;                     /* of both sockets: AF_INET or AF_INET6 */
    int dual_stack;                 /* an AF_INET6 wildcard also taking IPv4 */
    int udp_fd, tcp_fd;

    pthread_t thread;
    struct ev_loop *loop;
    ev_io udp_ev, accept_ev;
    ev_timer swim_timer, join_timer, leave_timer;
    ev_async stop_async;

    struct conn *conns;
    int nconns[2];                  /* [0] served, [1] started by us */
    uint64_t tcp_dropped;
    int exchange_timeout_ms;

    int join_backoff_ms;

    enum { STAYING, LEAVING, LEFT } leave;
    int64_t leave_start_ms;
    int leave_target, leave_pending, leave_acks;

    int view_dirty;
    int64_t view_ms;                /* monotonic time of the last publish */
    struct shared_map *map;         /* the current view's map */
} cl = {.udp_fd = -1, .tcp_fd = -1};

static char my_id[SWIM_ID_LEN + 1];
static pthread_once_t my_id_once = PTHREAD_ONCE_INIT;

static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cluster_view *view_current;   /* holds one reference */
static atomic_uint view_generation;         /* bumped on every publish */

static void pump(void);
static void exchange_ended(struct conn *c, int ok);

/* ---- time and addresses ---- */

static int64_t now_ms(void) {
    return monotonic_us() / 1000;
}

static uint64_t rand64(void) {
    char hex[17];
    random_hex(hex, 16);
    hex[16] = '\0';
    return strtoull(hex, NULL, 16);
}

static const char *state_name(enum swim_state st) {
    switch (st) {
    case SWIM_ALIVE: return "alive";
    case SWIM_SUSPECT: return "suspect";
    case SWIM_DEAD: return "dead";
    case SWIM_LEFT: return "left";
    }
    return "unknown";
}

static void addr_ip(const struct swim_addr *a, char *buf, size_t size) {
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->ip, buf, (socklen_t)size))
        snprintf(buf, size, "?");
}

/* "ip:port" ("[ip]:port" for IPv6) of a cluster address. */
static void addr_text(const struct swim_addr *a, char *buf, size_t size) {
    char ip[INET6_ADDRSTRLEN];
    addr_ip(a, ip, sizeof(ip));
    snprintf(buf, size, a->family == 6 ? "[%s]:%d" : "%s:%d", ip, a->port);
}

static int addr_parse(const char *ip, int port, struct swim_addr *a) {
    memset(a, 0, sizeof(*a));
    a->port = (uint16_t)port;
    if (inet_pton(AF_INET, ip, a->ip) == 1) a->family = 4;
    else if (inet_pton(AF_INET6, ip, a->ip) == 1) a->family = 6;
    else return -1;
    return 0;
}

static int addr_equal(const struct swim_addr *a, const struct swim_addr *b) {
    return a->family == b->family && a->port == b->port &&
           memcmp(a->ip, b->ip, a->family == 6 ? 16 : 4) == 0;
}

/* A socket address as the core's address; IPv4-mapped IPv6 (what a
 * dual-stack socket reports for IPv4 peers) becomes plain IPv4. */
static int addr_from_sockaddr(const struct sockaddr *sa, struct swim_addr *a) {
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        a->family = 4;
        memcpy(a->ip, &s->sin_addr, 4);
        a->port = ntohs(s->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&s->sin6_addr)) {
            a->family = 4;
            memcpy(a->ip, &s->sin6_addr.s6_addr[12], 4);
        } else {
            a->family = 6;
            memcpy(a->ip, &s->sin6_addr, 16);
        }
        a->port = ntohs(s->sin6_port);
        return 0;
    }
    return -1;
}

/* The core's address as a socket address of our sockets' family; 0 when
 * it cannot be reached from them (IPv6 peer, IPv4 socket or vice versa). */
static socklen_t addr_to_sockaddr(const struct swim_addr *a, struct sockaddr_storage *ss) {
    memset(ss, 0, sizeof(*ss));
    if (cl.family == AF_INET) {
        struct sockaddr_in *s = (struct sockaddr_in *)ss;
        if (a->family != 4) return 0;
        s->sin_family = AF_INET;
        memcpy(&s->sin_addr, a->ip, 4);
        s->sin_port = htons(a->port);
        return sizeof(*s);
    }
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons(a->port);
    if (a->family == 6) {
        memcpy(&s->sin6_addr, a->ip, 16);
    } else {
        if (!cl.dual_stack) return 0;
        s->sin6_addr.s6_addr[10] = 0xff;
        s->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&s->sin6_addr.s6_addr[12], a->ip, 4);
    }
    return sizeof(*s);
}

static int is_wildcard(const char *ip) {
    return !strcmp(ip, "*") || !strcmp(ip, "::*") || !strcmp(ip, "0.0.0.0") || !strcmp(ip, "::");
}

static int is_loopback(const struct swim_addr *a) {
    static const uint8_t v6_loopback[16] = {[15] = 1};
    return a->family == 4 ? a->ip[0] == 127 : !memcmp(a->ip, v6_loopback, 16);
}

/* The first concrete address of the bind list, a non-loopback one
 * preferred (in "bind 127.0.0.1 10.0.0.5" peers need the second). 0 if
 * there is none (only wildcards). */
static int concrete_bind_address(struct swim_addr *out) {
    int found = 0;
    for (int i = 0; i < cfg.bind_count; i++) {
        const char *ip = cfg.bind[i][0] == '-' ? cfg.bind[i] + 1 : cfg.bind[i];
        struct swim_addr a;
        if (is_wildcard(ip) || addr_parse(ip, cl.cport, &a) < 0) continue;
        if (!found || (is_loopback(out) && !is_loopback(&a))) *out = a;
        found = 1;
    }
    return found;
}

/* ---- seeds ---- */

/* The next "host:port" of cluster-seeds ("[v6]:port" for IPv6 literals),
 * separated by commas. Returns 1 with it in host/port, 0 at the end, -1 on
 * a syntax error (the entry's text in host). */
static int seed_next(const char **p, char *host, size_t hostsize, int *port) {
    const char *s = *p;
    while (*s == ',' || *s == ' ') s++;
    if (!*s) return 0;
    const char *end = s;
    while (*end && *end != ',' && *end != ' ') end++;
    *p = end;

    size_t len = (size_t)(end - s);
    snprintf(host, hostsize, "%.*s", (int)len, s);
    const char *colon = memrchr(s, ':', len), *hs = s, *he = colon;
    if (!colon) return -1;
    if (*s == '[') {
        if (colon[-1] != ']') return -1;
        hs = s + 1;
        he = colon - 1;
    } else if (memchr(s, ':', (size_t)(colon - s))) {
        return -1;                          /* an IPv6 literal needs brackets */
    }
    long long v;
    if (he == hs || (size_t)(he - hs) >= hostsize ||
        !string2ll(colon + 1, (size_t)(end - colon - 1), &v) || v < 1 || v > 65535)
        return -1;
    snprintf(host, hostsize, "%.*s", (int)(he - hs), hs);
    *port = (int)v;
    return 1;
}

static int seeds_check(void) {
    const char *p = cfg.cluster_seeds ? cfg.cluster_seeds : "";
    char host[256];
    int port, rc;
    while ((rc = seed_next(&p, host, sizeof(host), &port)) > 0) {}
    if (rc < 0) {
        serverlog(LL_WARNING, "Invalid cluster-seeds entry '%s': expected host:port", host);
        return -1;
    }
    return 0;
}

/* Resolves every seed now; returns how many addresses (ours excluded). */
static int seeds_resolve(struct swim_addr *out, int max) {
    const char *p = cfg.cluster_seeds ? cfg.cluster_seeds : "";
    char host[256], port[8];
    int n = 0, portnum;

    while (seed_next(&p, host, sizeof(host), &portnum) > 0) {
        struct addrinfo hints = {.ai_family = cl.dual_stack ? AF_UNSPEC : cl.family,
                                 .ai_socktype = SOCK_DGRAM}, *res, *ai;
        snprintf(port, sizeof(port), "%d", portnum);
        int rc = getaddrinfo(host, port, &hints, &res);
        if (rc != 0) {
            serverlog(LL_VERBOSE, "Cluster seed %s:%s does not resolve: %s", host, port,
                      gai_strerror(rc));
            continue;
        }
        for (ai = res; ai && n < max; ai = ai->ai_next) {
            struct swim_addr a;
            struct sockaddr_storage ss;
            int dup = 0;
            if (addr_from_sockaddr(ai->ai_addr, &a) < 0 || !addr_to_sockaddr(&a, &ss)) continue;
            if (addr_equal(&a, &cl.self)) continue;
            for (int i = 0; i < n && !dup; i++) dup = addr_equal(&a, &out[i]);
            if (!dup) out[n++] = a;
        }
        freeaddrinfo(res);
    }
    return n;
}

/* Whether this node knows no other member it could talk to. */
static int isolated(void) {
    for (size_t i = 0; i < swim_member_count(cl.swim); i++) {
        const struct swim_member *m = swim_member_at(cl.swim, i);
        if (strcmp(m->id, my_id) != 0 && (m->state == SWIM_ALIVE || m->state == SWIM_SUSPECT))
            return 0;
    }
    return 1;
}

/* ---- views ---- */

static void view_free(struct cluster_view *v) {
    struct view_box *box = (struct view_box *)v;
    if (box->map && atomic_fetch_sub(&box->map->refs, 1) == 1) {
        slotmap_free(box->map->map);
        free(box->map);
    }
    free(v->nodes);
    free(box);
}

static int cmp_id(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The current map if its owners are exactly these (sorted) ids. */
static int map_matches(const struct shared_map *sm, const char *const *ids, size_t n) {
    if (!sm || !sm->map || sm->map->nnodes != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(sm->map->ids[i], ids[i]) != 0) return 0;
    return 1;
}

/* Owners: alive and suspect members. A suspect is alive until proven dead
 * (SWIM's premise), so a transient suspicion moves no slots. */
static struct shared_map *owners_map(const struct cluster_node *nodes, size_t n) {
    const char **ids = malloc(sizeof(*ids) * (n ? n : 1));
    size_t k = 0;
    if (!ids) return NULL;
    for (size_t i = 0; i < n; i++)
        if (nodes[i].state == SWIM_ALIVE || nodes[i].state == SWIM_SUSPECT) ids[k++] = nodes[i].id;
    qsort(ids, k, sizeof(*ids), cmp_id);

    struct shared_map *sm = NULL;
    if (map_matches(cl.map, ids, k)) {
        sm = cl.map;
        atomic_fetch_add(&sm->refs, 1);
    } else if ((sm = calloc(1, sizeof(*sm)))) {
        sm->map = slotmap_build(ids, k);   /* NULL when no owner is left */
        atomic_init(&sm->refs, 1);
    }
    free(ids);
    return sm;
}

static void node_from_member(struct cluster_node *nd, const struct swim_member *m,
                             int64_t wall_offset) {
    memcpy(nd->id, m->id, sizeof(nd->id));
    addr_ip(&m->addr, nd->ip, sizeof(nd->ip));
    nd->port = m->client_port;
    nd->cport = m->addr.port;
    nd->state = m->state;
    nd->incarnation = m->incarnation;
    nd->rtt_us = m->last_rtt_us;
    nd->state_since_ms = m->state_since_ms + wall_offset;
    nd->myself = !strcmp(m->id, my_id);
}

/* Snapshots the core into a new view and makes it current. */
static void publish_view(int64_t now) {
    size_t n = swim_member_count(cl.swim), k = 1;
    struct view_box *box = calloc(1, sizeof(*box));
    struct cluster_node *nodes = calloc(n ? n : 1, sizeof(*nodes));
    int64_t wall_offset = mstime() - now;

    if (!box || !nodes) goto oom;
    node_from_member(&nodes[0], swim_self(cl.swim), wall_offset);
    for (size_t i = 0; i < n && k < n; i++) {
        const struct swim_member *m = swim_member_at(cl.swim, i);
        if (strcmp(m->id, my_id) != 0) node_from_member(&nodes[k++], m, wall_offset);
    }
    if (!(box->map = owners_map(nodes, k))) goto oom;

    box->v.nodes = nodes;
    box->v.nnodes = k;
    box->v.map = box->map->map;
    box->v.version = box->v.map ? box->v.map->version : 0;
    box->v.stats = *swim_get_stats(cl.swim);
    box->v.stats.dropped += cl.tcp_dropped;
    box->v.created_ms = now + wall_offset;
    atomic_init(&box->v.refs, 1);

    pthread_mutex_lock(&view_lock);
    struct cluster_view *old = view_current;
    view_current = &box->v;
    atomic_fetch_add_explicit(&view_generation, 1, memory_order_release);
    pthread_mutex_unlock(&view_lock);
    cl.map = box->map;
    cl.view_dirty = 0;
    cl.view_ms = now;
    cluster_view_put(old);
    return;

oom:
    /* keep the old view; the next pump tries again */
    free(nodes);
    free(box);
}

struct cluster_view *cluster_view_get(void) {
    pthread_mutex_lock(&view_lock);
    struct cluster_view *v = view_current;
    if (v) atomic_fetch_add(&v->refs, 1);
    pthread_mutex_unlock(&view_lock);
    return v;
}

unsigned cluster_view_generation(void) {
    return atomic_load_explicit(&view_generation, memory_order_acquire);
}

void cluster_view_put(struct cluster_view *v) {
    if (v && atomic_fetch_sub(&v->refs, 1) == 1) view_free(v);
}

/* ---- member events ---- */

static void log_event(const struct swim_event *ev) {
    const struct swim_member *m = &ev->member;
    char ip[INET6_ADDRSTRLEN];
    addr_ip(&m->addr, ip, sizeof(ip));

    switch (ev->kind) {
    case SWIM_EV_JOINED:
    case SWIM_EV_STATE:
        serverlog(LL_NOTICE, "Node %s (%s:%d@%d) is now %s", m->id, ip, m->client_port,
                  m->addr.port, state_name(m->state));
        break;
    case SWIM_EV_UPDATED:
        serverlog(LL_NOTICE, "Node %s is now at %s:%d@%d", m->id, ip, m->client_port,
                  m->addr.port);
        break;
    case SWIM_EV_REAPED:
        serverlog(LL_VERBOSE, "Node %s (%s:%d@%d) forgotten after being %s", m->id, ip,
                  m->client_port, m->addr.port, state_name(m->state));
        break;
    }
}

/* ---- TCP push-pull ---- */

static void conn_close(struct conn *c, int ok, const char *why) {
    if (!ok && why) {
        serverlog(LL_VERBOSE, "Cluster push-pull %s %s failed: %s",
                  c->purpose == P_SERVE ? "from" : "with", c->peer_text, why);
        if (c->purpose == P_SERVE) cl.tcp_dropped++;
    }
    ev_io_stop(cl.loop, &c->io);
    ev_timer_stop(cl.loop, &c->deadline);
    close(c->fd);
    if (c->prev) c->prev->next = c->next;
    else cl.conns = c->next;
    if (c->next) c->next->prev = c->prev;
    cl.nconns[c->purpose != P_SERVE]--;
    exchange_ended(c, ok);
    free(c->buf);
    free(c);
}

static void conn_watch(struct conn *c, int events) {
    ev_io_stop(cl.loop, &c->io);
    ev_io_set(&c->io, c->fd, events);
    ev_io_start(cl.loop, &c->io);
}

/* Our whole state as a frame to write. */
static int conn_prepare_write(struct conn *c) {
    size_t cap = 16384, n;
    for (;;) {
        unsigned char *buf = realloc(c->buf, FRAME_HDR + cap);
        if (!buf) return -1;
        c->buf = buf;
        n = swim_encode_state(cl.swim, now_ms(), buf + FRAME_HDR, cap);
        if (n == 0 || n > MAX_STATE) return -1;
        if (n <= cap) break;
        cap = n;
    }
    memcpy(c->buf, FRAME_MAGIC, 4);
    c->buf[4] = (unsigned char)(n >> 24);
    c->buf[5] = (unsigned char)(n >> 16);
    c->buf[6] = (unsigned char)(n >> 8);
    c->buf[7] = (unsigned char)n;
    c->len = FRAME_HDR + n;
    c->done = 0;
    c->phase = PH_WRITE;
    conn_watch(c, EV_WRITE);
    return 0;
}

/* Reads what is available of the peer's frame. Returns 1 when it is
 * complete, 0 to wait for more, -1 after closing the connection. */
static int conn_read(struct conn *c) {
    while (c->hdr_got < FRAME_HDR) {
        ssize_t r = read(c->fd, c->hdr + c->hdr_got, FRAME_HDR - c->hdr_got);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        if (r <= 0) {
            conn_close(c, 0, r == 0 ? "connection closed" : strerror(errno));
            return -1;
        }
        c->hdr_got += (size_t)r;
        if (c->hdr_got >= 4 && memcmp(c->hdr, FRAME_MAGIC, 4) != 0) {
            conn_close(c, 0, "not a push-pull frame");
            return -1;
        }
        if (c->hdr_got < FRAME_HDR) continue;
        c->len = (size_t)c->hdr[4] << 24 | (size_t)c->hdr[5] << 16 | (size_t)c->hdr[6] << 8 |
                 c->hdr[7];
        if (c->len == 0 || c->len > MAX_STATE) {
            conn_close(c, 0, "frame length out of range");
            return -1;
        }
        c->done = c->cap = 0;
    }
    while (c->done < c->len) {
        /* grown as bytes arrive, so that a length alone reserves nothing */
        if (c->done == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16384;
            unsigned char *buf = realloc(c->buf, cap < c->len ? cap : c->len);
            if (!buf) {
                conn_close(c, 0, "out of memory");
                return -1;
            }
            c->buf = buf;
            c->cap = cap < c->len ? cap : c->len;
        }
        ssize_t r = read(c->fd, c->buf + c->done, c->cap - c->done);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        if (r <= 0) {
            conn_close(c, 0, r == 0 ? "connection closed mid-frame" : strerror(errno));
            return -1;
        }
        c->done += (size_t)r;
    }
    if (swim_merge_state(cl.swim, now_ms(), c->buf, c->len) < 0) {
        if (c->purpose != P_SERVE) cl.tcp_dropped++;
        conn_close(c, 0, "malformed or foreign state");
        return -1;
    }
    return 1;
}

/* Writes what the socket takes. 1 when all is written, 0 to wait, -1
 * after closing. */
static int conn_write(struct conn *c) {
    while (c->done < c->len) {
        ssize_t w = send(c->fd, c->buf + c->done, c->len - c->done, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
        if (w < 0) {
            conn_close(c, 0, strerror(errno));
            return -1;
        }
        c->done += (size_t)w;
    }
    return 1;
}

static void on_conn_io(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)revents;
    struct conn *c = w->data;

    switch (c->phase) {
    case PH_CONNECT: {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err) {
            conn_close(c, 0, strerror(err));
            break;
        }
        if (conn_prepare_write(c) < 0) conn_close(c, 0, "cannot encode our state");
        break;
    }
    case PH_WRITE:
        if (conn_write(c) != 1) break;
        if (c->purpose == P_SERVE) {
            conn_close(c, 1, NULL);   /* the exchange is complete */
        } else {
            c->phase = PH_READ;
            conn_watch(c, EV_READ);
        }
        break;
    case PH_READ:
        if (conn_read(c) != 1) break;
        if (c->purpose != P_SERVE) conn_close(c, 1, NULL);
        else if (conn_prepare_write(c) < 0) conn_close(c, 0, "cannot encode our state");
        break;
    }
    pump();
}

static void on_conn_deadline(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    conn_close(w->data, 0, "timed out");
    pump();
}

static struct conn *conn_new(int fd, enum purpose purpose, enum phase phase,
                             const struct swim_addr *peer) {
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->fd = fd;
    c->purpose = purpose;
    c->phase = phase;
    addr_text(peer, c->peer_text, sizeof(c->peer_text));
    ev_io_init(&c->io, on_conn_io, fd, phase == PH_READ ? EV_READ : EV_WRITE);
    c->io.data = c;
    ev_io_start(cl.loop, &c->io);
    ev_timer_init(&c->deadline, on_conn_deadline, cl.exchange_timeout_ms / 1000.0, 0);
    c->deadline.data = c;
    ev_timer_start(cl.loop, &c->deadline);
    c->next = cl.conns;
    if (c->next) c->next->prev = c;
    cl.conns = c;
    cl.nconns[purpose != P_SERVE]++;
    return c;
}

/* Starts a push-pull with `to`. Returns 0 if under way (its end is
 * reported to exchange_ended), -1 if it could not even start. */
static int exchange_start(const struct swim_addr *to, enum purpose purpose) {
    struct sockaddr_storage ss;
    socklen_t len = addr_to_sockaddr(to, &ss);
    if (!len || cl.nconns[1] >= MAX_CONNS) return -1;   /* the core retries later */

    int fd = socket(cl.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    if (!conn_new(fd, purpose, PH_CONNECT, to)) {
        close(fd);
        return -1;
    }
    return 0;
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    for (int i = 0; i < 16; i++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd = accept4(cl.tcp_fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        struct swim_addr peer;
        if (addr_from_sockaddr((struct sockaddr *)&ss, &peer) < 0 || cl.nconns[0] >= MAX_CONNS ||
            !conn_new(fd, P_SERVE, PH_READ, &peer)) {
            cl.tcp_dropped++;       /* a flood of connections: refuse the excess */
            close(fd);
        }
    }
}

/* ---- leave ---- */

static void leave_finish(void) {
    int64_t took = now_ms() - cl.leave_start_ms;
    if (cl.leave == LEFT) return;
    cl.leave = LEFT;
    if (cl.leave_target == 0)
        serverlog(LL_NOTICE, "Left the cluster: no other member was alive");
    else if (cl.leave_acks >= cl.leave_target)
        serverlog(LL_NOTICE, "Left the cluster: %d member%s told directly in %lld ms",
                  cl.leave_acks, cl.leave_acks == 1 ? "" : "s", (long long)took);
    else
        serverlog(LL_WARNING, "Left the cluster after %lld ms: %d of %d members confirmed",
                  (long long)took, cl.leave_acks, cl.leave_target);
    ev_break(cl.loop, EVBREAK_ALL);
}

static void exchange_ended(struct conn *c, int ok) {
    if (c->purpose != P_LEAVE || cl.leave != LEAVING) return;
    cl.leave_pending--;
    if (ok) cl.leave_acks++;
    if (cl.leave_acks >= cl.leave_target || cl.leave_pending == 0) leave_finish();
}

static void on_leave_timeout(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    leave_finish();
}

/* Announces the leave: gossip through the core, and push-pulls (which
 * carry our "left" state) to up to LEAVE_CONFIRMATIONS alive members,
 * picked from a random offset so that not every leaver tells the same. */
static void leave_begin(void) {
    size_t n = swim_member_count(cl.swim), start = (size_t)rand64();
    cl.leave = LEAVING;
    cl.leave_start_ms = now_ms();
    swim_leave(cl.swim, cl.leave_start_ms);
    for (size_t i = 0; i < n && cl.leave_target < LEAVE_CONFIRMATIONS; i++) {
        const struct swim_member *m = swim_member_at(cl.swim, (start + i) % n);
        if (m->state != SWIM_ALIVE || !strcmp(m->id, my_id)) continue;
        if (exchange_start(&m->addr, P_LEAVE) == 0) {
            cl.leave_target++;
            cl.leave_pending++;
        }
    }
    pump();
    if (cl.leave_target == 0) {
        leave_finish();
        return;
    }
    ev_timer_init(&cl.leave_timer, on_leave_timeout, cfg.cluster_leave_timeout / 1000.0, 0);
    ev_timer_start(cl.loop, &cl.leave_timer);
}

static void on_stop(struct ev_loop *loop, ev_async *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    if (cl.leave == STAYING) leave_begin();
}

/* ---- join ---- */

static void on_join_timer(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)revents;
    struct swim_addr addrs[MAX_SEED_ADDRS];
    int n = seeds_resolve(addrs, MAX_SEED_ADDRS);

    for (int i = 0; i < n; i++) {
        swim_add_seed(cl.swim, &addrs[i]);     /* the core ignores ones it has */
        exchange_start(&addrs[i], P_JOIN);
    }
    if (n == 0) serverlog(LL_VERBOSE, "No cluster seed reachable yet, retrying in %d ms",
                          cl.join_backoff_ms);
    w->repeat = cl.join_backoff_ms / 1000.0;
    ev_timer_again(cl.loop, w);
    cl.join_backoff_ms *= 2;
    if (cl.join_backoff_ms > 10 * cfg.cluster_probe_interval)
        cl.join_backoff_ms = 10 * cfg.cluster_probe_interval;
    pump();
}

/* ---- the SWIM loop ---- */

static void send_packet(const struct swim_addr *to, const void *buf, size_t len) {
    struct sockaddr_storage ss;
    socklen_t sl = addr_to_sockaddr(to, &ss);
    /* UDP: a packet the kernel refuses now is a packet lost, which SWIM
     * is built to tolerate */
    if (sl) (void)sendto(cl.udp_fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl);
}

/* Drains the core's outputs, publishes a view if due, re-arms the timer. */
static void pump(void) {
    unsigned char buf[SWIM_MAX_PACKET];
    struct swim_addr to;
    struct swim_event ev;
    size_t len;
    int64_t now = now_ms();

    while ((len = swim_pop_packet(cl.swim, &to, buf, sizeof(buf))) > 0) send_packet(&to, buf, len);
    while (swim_pop_sync(cl.swim, &to)) exchange_start(&to, P_SYNC);
    while (swim_pop_event(cl.swim, &ev)) {
        log_event(&ev);
        cl.view_dirty = 1;
    }
    if (cl.view_dirty || now - cl.view_ms >= VIEW_REFRESH_MS) publish_view(now);

    /* Join until someone answers; once joined, the core's own seed and
     * dead-member retries take over. */
    if (ev_is_active(&cl.join_timer) && !isolated()) {
        ev_timer_stop(cl.loop, &cl.join_timer);
        cl.join_backoff_ms = cfg.cluster_probe_interval;
    } else if (!ev_is_active(&cl.join_timer) && cfg.cluster_seeds && isolated() &&
               cl.leave == STAYING) {
        ev_timer_set(&cl.join_timer, cl.join_backoff_ms / 1000.0, 0);
        ev_timer_start(cl.loop, &cl.join_timer);
    }

    int64_t delay = swim_next_timer(cl.swim) - now;
    if (delay < 0) delay = 0;
    if (delay > VIEW_REFRESH_MS) delay = VIEW_REFRESH_MS;
    ev_timer_stop(cl.loop, &cl.swim_timer);
    ev_timer_set(&cl.swim_timer, delay / 1000.0, 0);
    ev_timer_start(cl.loop, &cl.swim_timer);
}

/* Feeds the core up to max queued packets; returns how many were read. */
static int read_udp(int max) {
    /* one byte more than the core accepts, so that oversized packets
     * reach it as such and are dropped as malformed */
    unsigned char buf[SWIM_MAX_PACKET + 1];
    int i;
    for (i = 0; i < max; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        ssize_t n = recvfrom(cl.udp_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss, &sl);
        if (n < 0) break;
        struct swim_addr from;
        if (addr_from_sockaddr((struct sockaddr *)&ss, &from) == 0)
            swim_on_packet(cl.swim, now_ms(), &from, buf, (size_t)n);
    }
    return i;
}

static void on_swim_timer(struct ev_loop *loop, ev_timer *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    /* Acks already in the socket buffer must count before the timers
     * that wait for them run: after a pause (SIGSTOP, a VM stall) many
     * are queued, and timing out first would suspect healthy members. */
    for (int i = 0; i < UDP_DRAIN_MAX / UDP_BURST && read_udp(UDP_BURST) == UDP_BURST; i++) {}
    swim_on_timer(cl.swim, now_ms());
    pump();
}

static void on_udp(struct ev_loop *loop, ev_io *w, int revents) {
    (void)loop;
    (void)w;
    (void)revents;
    read_udp(UDP_BURST);
    pump();
}

static void *cluster_main(void *arg) {
    (void)arg;
    pthread_setname_np(pthread_self(), "shoal-cluster");
    memory_thread_init();
    pump();
    ev_run(cl.loop, 0);

    while (cl.conns) conn_close(cl.conns, 0, NULL);
    ev_io_stop(cl.loop, &cl.udp_ev);
    ev_io_stop(cl.loop, &cl.accept_ev);
    ev_timer_stop(cl.loop, &cl.swim_timer);
    ev_timer_stop(cl.loop, &cl.join_timer);
    ev_timer_stop(cl.loop, &cl.leave_timer);
    ev_async_stop(cl.loop, &cl.stop_async);
    return NULL;
}

/* ---- start and stop ---- */

/* Binds a socket of `type` on addr, or if NULL on every address:
 * dual-stack IPv6 when the host has IPv6 (the second socket follows the
 * first), IPv4 otherwise. Sets cl.family and cl.dual_stack. */
static int open_socket(int type, const struct swim_addr *addr, int port) {
    struct swim_addr any = {.family = cl.family == AF_INET ? 4 : 6, .port = (uint16_t)port};
    const struct swim_addr *a = addr ? addr : &any;
    int fd = socket(a->family == 6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && !addr && any.family == 6 && errno == EAFNOSUPPORT) {
        any.family = 4;
        fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) return -1;

    int yes = 1, v6only = addr != NULL;
    cl.family = a->family == 6 ? AF_INET6 : AF_INET;
    cl.dual_stack = cl.family == AF_INET6 && !v6only;
    if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (cl.family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only));

    struct sockaddr_storage ss;
    socklen_t len = addr_to_sockaddr(a, &ss);
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        (type == SOCK_STREAM && listen(fd, cfg.tcp_backlog) < 0)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* The core's timings all derive from cluster-probe-interval, in the
 * proportions of its defaults (which are for 1000 ms): a faster probe
 * makes suspicion, gossip, push-pull and reconnection faster alike. */
static void swim_config_for(struct swim_config *sc) {
    swim_config_defaults(sc);
    double f = (double)cfg.cluster_probe_interval / sc->probe_interval_ms;
    sc->probe_interval_ms = cfg.cluster_probe_interval;
    sc->probe_timeout_ms = (int)(sc->probe_timeout_ms * f);
    sc->gossip_interval_ms = (int)(sc->gossip_interval_ms * f);
    sc->pushpull_interval_ms = (int)(sc->pushpull_interval_ms * f);
    sc->reconnect_interval_ms = (int)(sc->reconnect_interval_ms * f);
    sc->dead_reap_ms = (int)(sc->dead_reap_ms * f);
    sc->gossip_to_dead_ms = (int)(sc->gossip_to_dead_ms * f);
    sc->indirect_checks = cfg.cluster_indirect_checks;
    snprintf(sc->cluster_name, sizeof(sc->cluster_name), "%s", cfg.cluster_name);
}

/* Where we listen and what we announce. See redis-compat.conf. */
static int choose_addresses(struct swim_addr *listen_on, int *concrete) {
    *concrete = concrete_bind_address(listen_on);
    if (cfg.cluster_announce_ip) {
        if (addr_parse(cfg.cluster_announce_ip, cl.cport, &cl.self) < 0) {
            serverlog(LL_WARNING, "cluster-announce-ip '%s' is not an IP address",
                      cfg.cluster_announce_ip);
            return -1;
        }
    } else if (*concrete) {
        cl.self = *listen_on;
    } else {
        addr_parse("127.0.0.1", cl.cport, &cl.self);
        serverlog(LL_WARNING, "bind has no concrete address and cluster-announce-ip is not "
                              "set: announcing 127.0.0.1, which only nodes on this host reach");
    }
    return 0;
}

static void make_id(void) {
    random_hex(my_id, SWIM_ID_LEN);
    my_id[SWIM_ID_LEN] = '\0';
}

const char *cluster_my_id(void) {
    pthread_once(&my_id_once, make_id);
    return my_id;
}

int cluster_enabled(void) {
    return cl.enabled;
}

int cluster_start(void) {
    struct swim_addr listen_on;
    int concrete;

    cluster_my_id();
    if (!cfg.cluster_enabled) return 0;
    cl.cport = cfg.cluster_port ? cfg.cluster_port : cfg.port + 10000;
    cl.client_port = cfg.cluster_announce_port ? cfg.cluster_announce_port : cfg.port;
    if (!cfg.cluster_port && (cfg.port == 0 || cl.cport > 65535)) {
        serverlog(LL_WARNING, "cluster-port must be set: port %d + 10000 is not a port", cfg.port);
        return -1;
    }
    if (strlen(cfg.cluster_name) > SWIM_CLUSTER_NAME_MAX) {
        serverlog(LL_WARNING, "cluster-name is longer than %d characters", SWIM_CLUSTER_NAME_MAX);
        return -1;
    }
    if (seeds_check() < 0 || choose_addresses(&listen_on, &concrete) < 0) return -1;

    cl.udp_fd = open_socket(SOCK_DGRAM, concrete ? &listen_on : NULL, cl.cport);
    cl.tcp_fd = cl.udp_fd < 0 ? -1 : open_socket(SOCK_STREAM, concrete ? &listen_on : NULL, cl.cport);
    if (cl.tcp_fd < 0) {
        serverlog(LL_WARNING, "Could not bind the cluster port %d: %s", cl.cport, strerror(errno));
        if (cl.udp_fd >= 0) close(cl.udp_fd);
        return -1;
    }

    struct swim_config scfg;
    swim_config_for(&scfg);
    cl.exchange_timeout_ms = 5 * cfg.cluster_probe_interval;
    if (cl.exchange_timeout_ms < 1000) cl.exchange_timeout_ms = 1000;
    if (cl.exchange_timeout_ms > 10000) cl.exchange_timeout_ms = 10000;
    cl.join_backoff_ms = cfg.cluster_probe_interval;
    cl.swim = swim_create(&scfg, my_id, &cl.self, (uint16_t)cl.client_port,
                          rand64(), now_ms());
    cl.loop = ev_loop_new(EVFLAG_AUTO);
    if (!cl.swim || !cl.loop) {
        serverlog(LL_WARNING, "Out of memory starting the cluster");
        return -1;
    }
    ev_io_init(&cl.udp_ev, on_udp, cl.udp_fd, EV_READ);
    ev_io_start(cl.loop, &cl.udp_ev);
    ev_io_init(&cl.accept_ev, on_accept, cl.tcp_fd, EV_READ);
    ev_io_start(cl.loop, &cl.accept_ev);
    ev_timer_init(&cl.swim_timer, on_swim_timer, 0, 0);
    ev_timer_init(&cl.join_timer, on_join_timer, 0, 0);
    ev_async_init(&cl.stop_async, on_stop);
    ev_async_start(cl.loop, &cl.stop_async);
    if (cfg.cluster_seeds) ev_timer_start(cl.loop, &cl.join_timer);   /* join at once */
    publish_view(now_ms());   /* readers never see NULL while enabled */

    sigset_t all, old;
    sigfillset(&all);   /* signals belong to the main thread's loop */
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&cl.thread, NULL, cluster_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        serverlog(LL_WARNING, "Can't start the cluster thread: %s", strerror(rc));
        return -1;
    }
    cl.enabled = cl.started = 1;

    char self[64];
    addr_text(&cl.self, self, sizeof(self));
    serverlog(LL_NOTICE, "Cluster '%s': I'm %s, announced as %s, client port %d", cfg.cluster_name,
              my_id, self, cl.client_port);
    return 0;
}

void cluster_stop(void) {
    if (!cl.started) return;
    serverlog(LL_NOTICE, "Leaving the cluster (at most %d ms)...", cfg.cluster_leave_timeout);
    ev_async_send(cl.loop, &cl.stop_async);
    pthread_join(cl.thread, NULL);
    cl.started = 0;
    close(cl.udp_fd);
    close(cl.tcp_fd);
    swim_destroy(cl.swim);
    cl.swim = NULL;
    ev_loop_destroy(cl.loop);
    /* the last view stays readable until exit: workers may still hold it */
}
