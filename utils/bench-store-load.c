/* bench-store-load.c -- the load generator behind utils/bench-store.
 *
 * Plain sockets and its own RESP reply reader (no library needed). Every
 * mode prints one JSON object on stdout; errors go to stderr with exit
 * status 2. A global alarm (--timeout, default 600 s) bounds every run.
 *
 *   load   HOST PORT [--n N] [--start S] [--vlen B] [--ex SEC]
 *                    [--px-min MS --px-max MS] [--seed X] [--pipeline P]
 *          SET key:%012d for ids start..start+n-1, pipelined; with --ex every
 *          key gets EX SEC, with --px-min/--px-max a PX uniform in the range.
 *
 *   zipf   HOST PORT [--keys N] [--alpha A] [--vlen B] [--warm W]
 *                    [--measure M] [--seed X] [--batch B]
 *          The cache loop: GET k; on a miss SET k <vlen bytes>. Keys drawn
 *          Zipf(alpha) over N keys from a seeded generator (the same trace
 *          for every run). Pipelined: a batch of GETs, then the SETs for the
 *          misses of that batch. Hits/misses counted separately for the
 *          warm-up and the measured phase.
 *
 *   sim    [--keys N] [--alpha A] [--warm W] [--measure M] [--seed X]
 *                    --k K1,K2,...
 *          For the same trace: the static optimum (the K most frequent keys
 *          of the measured phase always cached) and an exact LRU cache of K
 *          keys (warmed over the warm-up, counted over the measured phase).
 *
 *   growth HOST PORT [--n N] [--conns C] [--vlen B] [--start S]
 *          SET of n distinct new keys over C connections, pipeline 1; the
 *          latency of every request (monotonic clock, send to reply),
 *          percentiles, the longest gap between two completions, and
 *          completions per 10 ms window.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ utilities */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench-store-load: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "bench-store-load: timed out (--timeout)\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) { /* nothing to do */ }
    _exit(3);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

/* splitmix64: small, seedable, good enough for load generation */
static uint64_t sm_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double sm_unit(uint64_t *s) { /* [0, 1) */
    return (double)(sm_next(s) >> 11) / (double)(1ull << 53);
}

#define KEYLEN 16
static void make_key(char *out, uint64_t id) { /* exactly 16 bytes */
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "key:%012llu", (unsigned long long)(id % 1000000000000ull));
    memcpy(out, tmp, KEYLEN);
}

/* ------------------------------------------------------------ buffers */

struct buf {
    char *p;
    size_t len, cap, pos;   /* pos: consumed prefix (read buffers) */
};

static void buf_reserve(struct buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void buf_add(struct buf *b, const void *d, size_t n) {
    buf_reserve(b, n);
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void buf_addf(struct buf *b, const char *fmt, ...) {
    va_list ap;
    char tmp[128];
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof(tmp)) die("format overflow");
    buf_add(b, tmp, (size_t)n);
}

static void buf_compact(struct buf *b) {
    if (b->pos == 0) return;
    memmove(b->p, b->p + b->pos, b->len - b->pos);
    b->len -= b->pos;
    b->pos = 0;
}

/* RESP command from argv pieces */
static void cmd_begin(struct buf *b, int argc) { buf_addf(b, "*%d\r\n", argc); }
static void cmd_arg(struct buf *b, const char *s, size_t n) {
    buf_addf(b, "$%zu\r\n", n);
    buf_add(b, s, n);
    buf_add(b, "\r\n", 2);
}
static void cmd_argstr(struct buf *b, const char *s) { cmd_arg(b, s, strlen(s)); }

/* ------------------------------------------------------------ RESP replies */

enum { R_STATUS, R_ERROR, R_INT, R_BULK, R_NIL, R_ARRAY };

struct reply {
    int type;
    const char *str;   /* status/error/bulk text, not NUL-terminated */
    size_t len;
    long long integer;
};

/* Finds CRLF from p within [p, end); NULL if absent. */
static const char *find_crlf(const char *p, const char *end) {
    while (p + 1 < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p - 1));
        if (!cr) return NULL;
        if (cr[1] == '\n') return cr;
        p = cr + 1;
    }
    return NULL;
}

/* Parses one reply from [p, end). Returns bytes consumed, 0 if incomplete.
 * Nested arrays are skipped (their elements are not returned). */
static size_t parse_reply(const char *p, const char *end, struct reply *r) {
    if (p >= end) return 0;
    const char *crlf = find_crlf(p, end);
    if (!crlf) return 0;
    size_t head = (size_t)(crlf + 2 - p);
    switch (p[0]) {
    case '+':
    case '-':
        r->type = p[0] == '+' ? R_STATUS : R_ERROR;
        r->str = p + 1;
        r->len = (size_t)(crlf - p - 1);
        return head;
    case ':':
        r->type = R_INT;
        r->integer = strtoll(p + 1, NULL, 10);
        return head;
    case '$': {
        long long n = strtoll(p + 1, NULL, 10);
        if (n < 0) {
            r->type = R_NIL;
            return head;
        }
        if ((size_t)(end - p) < head + (size_t)n + 2) return 0;
        r->type = R_BULK;
        r->str = p + head;
        r->len = (size_t)n;
        return head + (size_t)n + 2;
    }
    case '*': {
        long long n = strtoll(p + 1, NULL, 10);
        if (n < 0) {
            r->type = R_NIL;
            return head;
        }
        size_t used = head;
        for (long long i = 0; i < n; i++) {
            struct reply sub;
            size_t u = parse_reply(p + used, end, &sub);
            if (!u) return 0;
            used += u;
        }
        r->type = R_ARRAY;
        r->integer = n;
        return used;
    }
    default:
        die("protocol error: unexpected reply byte 0x%02x", (unsigned char)p[0]);
    }
    return 0;
}

/* ------------------------------------------------------------ connections */

struct conn {
    int fd;
    struct buf in, out;
};

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) die("getaddrinfo %s:%s: %s", host, port, gai_strerror(rc));
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) die("cannot connect to %s:%s: %s", host, port, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void conn_open(struct conn *c, const char *host, const char *port) {
    memset(c, 0, sizeof(*c));
    c->fd = connect_to(host, port);
}

static void conn_read_some(struct conn *c) {
    buf_compact(&c->in);
    buf_reserve(&c->in, 65536);
    ssize_t n = read(c->fd, c->in.p + c->in.len, c->in.cap - c->in.len);
    if (n == 0) die("server closed the connection");
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) return;
        die("read: %s", strerror(errno));
    }
    c->in.len += (size_t)n;
}

/* Writes all of c->out, reading whatever arrives meanwhile (so a server that
 * stops reading until its replies drain cannot deadlock us). */
static void conn_flush(struct conn *c) {
    size_t off = 0;
    while (off < c->out.len) {
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN | POLLOUT};
        if (poll(&pfd, 1, -1) < 0) {
            if (errno == EINTR) continue;
            die("poll: %s", strerror(errno));
        }
        if (pfd.revents & (POLLERR | POLLHUP) && !(pfd.revents & POLLIN))
            die("connection error while writing");
        if (pfd.revents & POLLIN) conn_read_some(c);
        if (pfd.revents & POLLOUT) {
            ssize_t n = send(c->fd, c->out.p + off, c->out.len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                die("write: %s", strerror(errno));
            }
            off += (size_t)n;
        }
    }
    c->out.len = 0;
}

/* Next complete reply (blocking). Its strings point into c->in and stay
 * valid until the next call. */
static void conn_reply(struct conn *c, struct reply *r) {
    for (;;) {
        size_t used = parse_reply(c->in.p + c->in.pos, c->in.p + c->in.len, r);
        if (used) {
            c->in.pos += used;
            return;
        }
        conn_read_some(c);
    }
}

static long long errors;
static char first_error[256];

static void note_error(const struct reply *r) {
    if (errors++ == 0)
        snprintf(first_error, sizeof(first_error), "%.*s", (int)(r->len > 200 ? 200 : r->len), r->str);
}

static void json_str(const char *name, const char *s) {
    printf("\"%s\": \"", name);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putchar('\\');
        if ((unsigned char)*s < 0x20) continue;
        putchar(*s);
    }
    printf("\"");
}

/* ------------------------------------------------------------ options */

struct opts {
    const char *host, *port;
    uint64_t n, start, keys, warm, measure, seed;
    size_t vlen;
    long long ex, px_min, px_max;
    int pipeline, batch, conns;
    double alpha;
    char *klist;
    int timeout;
};

static void parse_opts(struct opts *o, int argc, char **argv, int need_addr) {
    int i = 0;
    if (need_addr) {
        if (argc < 2) die("need HOST PORT");
        o->host = argv[0];
        o->port = argv[1];
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) die("option %s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--n")) o->n = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--start")) o->start = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--keys")) o->keys = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--warm")) o->warm = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--measure")) o->measure = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--seed")) o->seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--vlen")) o->vlen = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--ex")) o->ex = strtoll(v, NULL, 10);
        else if (!strcmp(a, "--px-min")) o->px_min = strtoll(v, NULL, 10);
        else if (!strcmp(a, "--px-max")) o->px_max = strtoll(v, NULL, 10);
        else if (!strcmp(a, "--pipeline")) o->pipeline = atoi(v);
        else if (!strcmp(a, "--batch")) o->batch = atoi(v);
        else if (!strcmp(a, "--conns")) o->conns = atoi(v);
        else if (!strcmp(a, "--alpha")) o->alpha = strtod(v, NULL);
        else if (!strcmp(a, "--k")) o->klist = (char *)v;
        else if (!strcmp(a, "--timeout")) o->timeout = atoi(v);
        else die("unknown option %s", a);
    }
}

static void fill_value(char *v, size_t vlen, uint64_t id) {
    /* printable, not an integer, varies with the key */
    for (size_t i = 0; i < vlen; i++) v[i] = (char)('a' + (id + i * 7) % 26);
}

/* ------------------------------------------------------------ load */

static void mode_load(struct opts *o) {
    struct conn c;
    conn_open(&c, o->host, o->port);
    char *val = xmalloc(o->vlen);
    uint64_t rng = o->seed ? o->seed : 1;
    int with_px = o->px_max > 0;
    uint64_t t0 = now_ns();
    uint64_t done = 0;
    while (done < o->n) {
        uint64_t cnt = o->n - done;
        if (cnt > (uint64_t)o->pipeline) cnt = (uint64_t)o->pipeline;
        for (uint64_t i = 0; i < cnt; i++) {
            uint64_t id = o->start + done + i;
            char key[KEYLEN];
            make_key(key, id);
            fill_value(val, o->vlen, id);
            char num[32];
            if (o->ex > 0) {
                cmd_begin(&c.out, 5);
                snprintf(num, sizeof(num), "%lld", o->ex);
            } else if (with_px) {
                cmd_begin(&c.out, 5);
                long long span = o->px_max - o->px_min + 1;
                snprintf(num, sizeof(num), "%lld", o->px_min + (long long)(sm_next(&rng) % (uint64_t)span));
            } else {
                cmd_begin(&c.out, 3);
            }
            cmd_argstr(&c.out, "SET");
            cmd_arg(&c.out, key, KEYLEN);
            cmd_arg(&c.out, val, o->vlen);
            if (o->ex > 0) {
                cmd_argstr(&c.out, "EX");
                cmd_argstr(&c.out, num);
            } else if (with_px) {
                cmd_argstr(&c.out, "PX");
                cmd_argstr(&c.out, num);
            }
        }
        conn_flush(&c);
        for (uint64_t i = 0; i < cnt; i++) {
            struct reply r;
            conn_reply(&c, &r);
            if (r.type != R_STATUS) note_error(&r);
        }
        done += cnt;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("{\"n\": %llu, \"secs\": %.3f, \"errors\": %lld, ", (unsigned long long)o->n, secs, errors);
    json_str("first_error", first_error);
    printf("}\n");
    close(c.fd);
}

/* ------------------------------------------------------------ Zipf trace */

struct trace {
    uint64_t keys;
    double *cdf;        /* cdf[i] = P(rank <= i) */
    uint32_t *perm;     /* rank -> key id */
    uint64_t rng;
};

static void trace_init(struct trace *t, uint64_t keys, double alpha, uint64_t seed) {
    if (keys == 0 || keys > 0xffffffffull) die("--keys out of range");
    t->keys = keys;
    t->cdf = xmalloc(sizeof(double) * keys);
    double sum = 0;
    for (uint64_t i = 0; i < keys; i++) {
        sum += 1.0 / pow((double)(i + 1), alpha);
        t->cdf[i] = sum;
    }
    for (uint64_t i = 0; i < keys; i++) t->cdf[i] /= sum;
    t->cdf[keys - 1] = 1.0;
    /* a fixed permutation so that popularity is not tied to key order */
    t->perm = xmalloc(sizeof(uint32_t) * keys);
    for (uint64_t i = 0; i < keys; i++) t->perm[i] = (uint32_t)i;
    uint64_t ps = seed ^ 0x5eed5eed5eedull;
    for (uint64_t i = keys - 1; i > 0; i--) {
        uint64_t j = sm_next(&ps) % (i + 1);
        uint32_t tmp = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = tmp;
    }
    t->rng = seed;
}

static uint32_t trace_next(struct trace *t) {
    double u = sm_unit(&t->rng);
    uint64_t lo = 0, hi = t->keys - 1;   /* first i with cdf[i] > u */
    while (lo < hi) {
        uint64_t mid = (lo + hi) / 2;
        if (t->cdf[mid] > u) hi = mid;
        else lo = mid + 1;
    }
    return t->perm[lo];
}

/* ------------------------------------------------------------ zipf (cache loop) */

static void mode_zipf(struct opts *o) {
    struct trace t;
    trace_init(&t, o->keys, o->alpha, o->seed);
    struct conn c;
    conn_open(&c, o->host, o->port);
    char *val = xmalloc(o->vlen);
    uint32_t *ids = xmalloc(sizeof(uint32_t) * (size_t)o->batch);
    uint32_t *miss = xmalloc(sizeof(uint32_t) * (size_t)o->batch);
    uint64_t total = o->warm + o->measure, done = 0;
    uint64_t hits[2] = {0, 0}, misses[2] = {0, 0};
    uint64_t t0 = now_ns(), tm = t0;
    while (done < total) {
        uint64_t cnt = total - done;
        if (cnt > (uint64_t)o->batch) cnt = (uint64_t)o->batch;
        /* a batch never straddles the warm/measure boundary */
        if (done < o->warm && done + cnt > o->warm) cnt = o->warm - done;
        int phase = done >= o->warm;
        if (phase && done == o->warm) tm = now_ns();
        for (uint64_t i = 0; i < cnt; i++) {
            char key[KEYLEN];
            ids[i] = trace_next(&t);
            make_key(key, ids[i]);
            cmd_begin(&c.out, 2);
            cmd_argstr(&c.out, "GET");
            cmd_arg(&c.out, key, KEYLEN);
        }
        conn_flush(&c);
        int nmiss = 0;
        for (uint64_t i = 0; i < cnt; i++) {
            struct reply r;
            conn_reply(&c, &r);
            if (r.type == R_NIL) {
                misses[phase]++;
                miss[nmiss++] = ids[i];
            } else if (r.type == R_BULK) {
                hits[phase]++;
            } else {
                note_error(&r);
            }
        }
        if (nmiss) {
            for (int i = 0; i < nmiss; i++) {
                char key[KEYLEN];
                make_key(key, miss[i]);
                fill_value(val, o->vlen, miss[i]);
                cmd_begin(&c.out, 3);
                cmd_argstr(&c.out, "SET");
                cmd_arg(&c.out, key, KEYLEN);
                cmd_arg(&c.out, val, o->vlen);
            }
            conn_flush(&c);
            for (int i = 0; i < nmiss; i++) {
                struct reply r;
                conn_reply(&c, &r);
                if (r.type != R_STATUS) note_error(&r);
            }
        }
        done += cnt;
    }
    uint64_t t1 = now_ns();
    printf("{\"warm_hits\": %llu, \"warm_misses\": %llu, \"hits\": %llu, \"misses\": %llu, "
           "\"secs\": %.3f, \"measure_secs\": %.3f, \"errors\": %lld, ",
           (unsigned long long)hits[0], (unsigned long long)misses[0], (unsigned long long)hits[1],
           (unsigned long long)misses[1], (double)(t1 - t0) / 1e9, (double)(t1 - tm) / 1e9, errors);
    json_str("first_error", first_error);
    printf("}\n");
    close(c.fd);
}

/* ------------------------------------------------------------ sim */

static int cmp_u32_desc(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static void mode_sim(struct opts *o) {
    if (!o->klist) die("sim needs --k K1,K2,...");
    uint64_t ks[64];
    int nk = 0;
    for (char *s = strtok(o->klist, ","); s && nk < 64; s = strtok(NULL, ",")) ks[nk++] = strtoull(s, NULL, 10);
    uint64_t total = o->warm + o->measure;
    uint32_t *tr = xmalloc(sizeof(uint32_t) * total);
    struct trace t;
    trace_init(&t, o->keys, o->alpha, o->seed);
    for (uint64_t i = 0; i < total; i++) tr[i] = trace_next(&t);

    /* static optimum over the measured phase */
    uint32_t *cnt = calloc(o->keys, sizeof(uint32_t));
    if (!cnt) die("out of memory");
    for (uint64_t i = o->warm; i < total; i++) cnt[tr[i]]++;
    qsort(cnt, o->keys, sizeof(uint32_t), cmp_u32_desc);
    uint64_t distinct = 0;
    while (distinct < o->keys && cnt[distinct]) distinct++;

    /* LRU: a doubly linked list over key ids, most recent at head */
    int32_t *prev = xmalloc(sizeof(int32_t) * o->keys), *next = xmalloc(sizeof(int32_t) * o->keys);
    char *in = xmalloc(o->keys);
    printf("{\"distinct_measured\": %llu, \"results\": [", (unsigned long long)distinct);
    for (int k = 0; k < nk; k++) {
        uint64_t K = ks[k];
        uint64_t top = 0;
        for (uint64_t i = 0; i < K && i < o->keys; i++) top += cnt[i];
        memset(in, 0, o->keys);
        int32_t head = -1, tail = -1;
        uint64_t size = 0, lhits = 0;
        for (uint64_t i = 0; i < total && K > 0; i++) {
            int32_t id = (int32_t)tr[i];
            if (in[id]) {
                if (i >= o->warm) lhits++;
                if (head == id) continue;
                /* unlink, move to head */
                next[prev[id]] = next[id];
                if (next[id] >= 0) prev[next[id]] = prev[id];
                else tail = prev[id];
            } else {
                if (size == K) {
                    int32_t v = tail;
                    tail = prev[v];
                    if (tail >= 0) next[tail] = -1;
                    else head = -1;
                    in[v] = 0;
                    size--;
                }
                in[id] = 1;
                size++;
            }
            prev[id] = -1;
            next[id] = head;
            if (head >= 0) prev[head] = id;
            head = id;
            if (tail < 0) tail = id;
        }
        printf("%s{\"k\": %llu, \"opt\": %.6f, \"lru\": %.6f}", k ? ", " : "", (unsigned long long)K,
               o->measure ? (double)top / (double)o->measure : 0.0,
               o->measure ? (double)lhits / (double)o->measure : 0.0);
    }
    printf("]}\n");
}

/* ------------------------------------------------------------ growth */

struct gconn {
    struct conn c;
    uint64_t sent_at;
    int busy;
};

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

#define WINDOW_NS 10000000ull   /* 10 ms */
#define NGAPS 10                /* longest gaps reported */

static void mode_growth(struct opts *o) {
    int nc = o->conns;
    struct gconn *cs = calloc((size_t)nc, sizeof(*cs));
    if (!cs) die("out of memory");
    int ep = epoll_create1(0);
    if (ep < 0) die("epoll_create1: %s", strerror(errno));
    for (int i = 0; i < nc; i++) {
        conn_open(&cs[i].c, o->host, o->port);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].c.fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
    }
    /* latency of every request in ns, saturating at ~4.29 s (max kept exactly) */
    uint32_t *lat = xmalloc(sizeof(uint32_t) * o->n);
    uint64_t nlat = 0, maxlat = 0;
    uint32_t *win = NULL;   /* completions per 10 ms window */
    uint64_t nwin = 0;
    uint64_t next_id = o->start, end_id = o->start + o->n, outstanding = 0;
    char *val = xmalloc(o->vlen);
    uint64_t t0 = now_ns(), last_done = t0, max_gap = 0, max_gap_at = 0;
    struct { uint64_t len, at, done; } gaps[NGAPS];
    memset(gaps, 0, sizeof(gaps));

    for (int i = 0; i < nc && next_id < end_id; i++) {
        char key[KEYLEN];
        make_key(key, next_id);
        fill_value(val, o->vlen, next_id);
        next_id++;
        cmd_begin(&cs[i].c.out, 3);
        cmd_argstr(&cs[i].c.out, "SET");
        cmd_arg(&cs[i].c.out, key, KEYLEN);
        cmd_arg(&cs[i].c.out, val, o->vlen);
        cs[i].sent_at = now_ns();
        conn_flush(&cs[i].c);
        cs[i].busy = 1;
        outstanding++;
    }
    struct epoll_event evs[256];
    while (outstanding) {
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int e = 0; e < n; e++) {
            struct gconn *g = &cs[evs[e].data.u32];
            conn_read_some(&g->c);
            for (;;) {
                struct reply r;
                size_t used = parse_reply(g->c.in.p + g->c.in.pos, g->c.in.p + g->c.in.len, &r);
                if (!used) break;
                g->c.in.pos += used;
                if (!g->busy) die("unexpected reply");
                uint64_t t = now_ns(), l = t - g->sent_at;
                if (r.type != R_STATUS) note_error(&r);
                if (l > maxlat) maxlat = l;
                lat[nlat++] = l > 0xffffffffull ? 0xffffffffu : (uint32_t)l;
                if (t - last_done > max_gap) {
                    max_gap = t - last_done;
                    max_gap_at = last_done - t0;
                }
                if (t - last_done > gaps[NGAPS - 1].len) {   /* keep the longest NGAPS */
                    int j = NGAPS - 1;
                    while (j > 0 && gaps[j - 1].len < t - last_done) {
                        gaps[j] = gaps[j - 1];
                        j--;
                    }
                    gaps[j].len = t - last_done;
                    gaps[j].at = last_done - t0;
                    gaps[j].done = nlat - 1;
                }
                last_done = t;
                uint64_t w = (t - t0) / WINDOW_NS;
                if (w >= nwin) {
                    uint64_t nn = nwin ? nwin : 1024;
                    while (nn <= w) nn *= 2;
                    win = xrealloc(win, sizeof(uint32_t) * nn);
                    memset(win + nwin, 0, sizeof(uint32_t) * (nn - nwin));
                    nwin = nn;
                }
                win[w]++;
                g->busy = 0;
                outstanding--;
                if (next_id < end_id) {
                    char key[KEYLEN];
                    make_key(key, next_id);
                    fill_value(val, o->vlen, next_id);
                    next_id++;
                    cmd_begin(&g->c.out, 3);
                    cmd_argstr(&g->c.out, "SET");
                    cmd_arg(&g->c.out, key, KEYLEN);
                    cmd_arg(&g->c.out, val, o->vlen);
                    g->sent_at = now_ns();
                    conn_flush(&g->c);
                    g->busy = 1;
                    outstanding++;
                }
            }
        }
    }
    uint64_t t1 = now_ns();
    double secs = (double)(t1 - t0) / 1e9;
    qsort(lat, nlat, sizeof(uint32_t), cmp_u32);
#define PCT(p) (nlat ? (double)lat[(uint64_t)((double)(nlat - 1) * (p))] / 1000.0 : 0.0)
    uint64_t over1 = 0, over10 = 0, over100 = 0;
    for (uint64_t i = 0; i < nlat; i++) {
        if (lat[i] > 1000000u) over1++;
        if (lat[i] > 10000000u) over10++;
        if (lat[i] > 100000000u) over100++;
    }
    /* 10 ms windows: all full windows (the last, partial one is left out) */
    uint64_t full = (t1 - t0) / WINDOW_NS;
    uint32_t wmin = UINT32_MAX;
    uint64_t wmin_at = 0, wzero = 0;
    uint32_t *ws = xmalloc(sizeof(uint32_t) * (full ? full : 1));
    for (uint64_t w = 0; w < full; w++) {
        uint32_t v = w < nwin ? win[w] : 0;
        ws[w] = v;
        if (v < wmin) {
            wmin = v;
            wmin_at = w;
        }
        if (v == 0) wzero++;
    }
    qsort(ws, full, sizeof(uint32_t), cmp_u32);
    double wmed = full ? ws[full / 2] : 0;
    printf("{\"t0_mono\": %.6f, ", (double)t0 / 1e9);
    printf("\"n\": %llu, \"conns\": %d, \"secs\": %.3f, \"rps\": %.0f, "
           "\"p50_us\": %.1f, \"p90_us\": %.1f, \"p99_us\": %.1f, \"p999_us\": %.1f, \"p9999_us\": %.1f, "
           "\"max_us\": %.1f, \"over_1ms\": %llu, \"over_10ms\": %llu, \"over_100ms\": %llu, "
           "\"max_gap_ms\": %.3f, \"max_gap_at_s\": %.3f, "
           "\"windows\": %llu, \"window_median\": %.0f, \"window_min\": %u, \"window_min_at_s\": %.2f, "
           "\"windows_empty\": %llu, \"errors\": %lld, ",
           (unsigned long long)nlat, nc, secs, secs > 0 ? (double)nlat / secs : 0.0, PCT(0.5), PCT(0.9),
           PCT(0.99), PCT(0.999), PCT(0.9999), (double)maxlat / 1000.0, (unsigned long long)over1,
           (unsigned long long)over10, (unsigned long long)over100, (double)max_gap / 1e6,
           (double)max_gap_at / 1e9, (unsigned long long)full, wmed, full ? wmin : 0,
           (double)wmin_at * WINDOW_NS / 1e9, (unsigned long long)wzero, errors);
    json_str("first_error", first_error);
    /* the longest gaps: length ms, when (s from start), SETs completed before */
    printf(", \"gaps\": [");
    for (int i = 0; i < NGAPS && gaps[i].len; i++)
        printf("%s[%.3f, %.3f, %llu]", i ? ", " : "", (double)gaps[i].len / 1e6, (double)gaps[i].at / 1e9,
               (unsigned long long)gaps[i].done);
    printf("]}\n");
    for (int i = 0; i < nc; i++) close(cs[i].c.fd);
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv) {
    if (argc < 2) die("usage: bench-store-load load|zipf|sim|growth ...");
    struct opts o = {.n = 1000000, .keys = 1000000, .warm = 2000000, .measure = 4000000, .seed = 42,
                     .vlen = 32, .pipeline = 1000, .batch = 100, .conns = 32, .alpha = 0.99,
                     .timeout = 600};
    const char *mode = argv[1];
    int need_addr = strcmp(mode, "sim") != 0;
    parse_opts(&o, argc - 2, argv + 2, need_addr);
    if (o.pipeline < 1 || o.batch < 1 || o.conns < 1) die("--pipeline, --batch, --conns must be >= 1");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    alarm((unsigned)o.timeout);
    if (!strcmp(mode, "load")) mode_load(&o);
    else if (!strcmp(mode, "zipf")) mode_zipf(&o);
    else if (!strcmp(mode, "sim")) mode_sim(&o);
    else if (!strcmp(mode, "growth")) mode_growth(&o);
    else die("unknown mode %s", mode);
    fflush(stdout);
    return errors ? 1 : 0;
}
