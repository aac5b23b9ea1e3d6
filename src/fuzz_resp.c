/* fuzz_resp.c -- libFuzzer target for the request parser (resp.c).
 *
 * NOT part of the server: src/Makefile filters out fuzz_*.c (since
 * c688ac8), and the whole file is inside #ifdef SHOAL_FUZZ as well, so an
 * older Makefile whose wildcard picks it up compiles it to nothing.
 *
 * Build and run (from src/, clang 14 with libclang-rt-14-dev):
 *
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DSHOAL_FUZZ \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       -o /tmp/fuzz_resp fuzz_resp.c resp.c util.c
 *   mkdir -p /tmp/fuzz_resp_corpus
 *   /tmp/fuzz_resp -max_total_time=600 -max_len=200000 -timeout=10 \
 *       -rss_limit_mb=4096 -malloc_limit_mb=3072 /tmp/fuzz_resp_corpus
 *
 * Input layout: byte 0 = options (bit 0: auth_required; bits 1-2: which
 * proto-max-bulk-len; bit 3: use a 13-byte read chunk instead of 16 KiB so
 * buffer growth/compaction is exercised on small inputs), byte 1 = number
 * of split points (mod 32), then 2 bytes per split point (chunk lengths),
 * then the bytes a client sends.
 *
 * The data goes through a copy of connection.c's read/parse loop
 * (on_readable + process_input + qbuf_reserve: the read size from `need`,
 * pre-sizing for big bulks, compaction on growth) in the chunks chosen,
 * and separately through the parser in one whole buffer. Checked:
 *   - pos <= len and pos > 0 for COMMAND / EMPTY (progress);
 *   - RESP_MORE's need is 0 or more than the bytes already held;
 *   - COMMAND has argc >= 1, every argument lies inside the consumed bytes
 *     (or inside inline_buf) and is NUL-terminated;
 *   - RESP_ERROR has a message;
 *   - the commands and the final error are the same whole and split
 *     (except for the "too big ..." limits, which depend on how much has
 *     arrived, as in Redis: then the split run's commands must be a prefix
 *     of the whole run's);
 *   - the query buffer never grows beyond what the model says it needs.
 */
#ifdef SHOAL_FUZZ

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

#define MAX_CMDS 4096

struct run {
    /* serialized commands: for each, argc then (len, bytes) per arg */
    unsigned char *out;
    size_t outlen, outcap;
    int ncmds;
    const char *error;  /* final error, or NULL */
    char errcopy[64];
    size_t max_qcap;
};

static void out_add(struct run *r, const void *p, size_t n) {
    if (r->outlen + n > r->outcap) {
        size_t cap = r->outcap ? r->outcap : 256;
        while (cap < r->outlen + n) cap *= 2;
        r->out = realloc(r->out, cap);
        if (!r->out) abort();
        r->outcap = cap;
    }
    memcpy(r->out + r->outlen, p, n);
    r->outlen += n;
}

static void check_status(struct resp_parser *p, enum resp_status st, char *buf, size_t len) {
    switch (st) {
    case RESP_MORE:
        if (p->need != 0 && p->need <= len) {
            fprintf(stderr, "RESP_MORE with need %zu <= len %zu\n", p->need, len);
            abort();
        }
        break;
    case RESP_EMPTY:
        if (p->pos == 0 || p->pos > len) {
            fprintf(stderr, "RESP_EMPTY with pos %zu, len %zu\n", p->pos, len);
            abort();
        }
        break;
    case RESP_COMMAND:
        if (p->pos == 0 || p->pos > len) {
            fprintf(stderr, "RESP_COMMAND with pos %zu, len %zu\n", p->pos, len);
            abort();
        }
        if (p->argc < 1) {
            fprintf(stderr, "RESP_COMMAND with argc %d\n", p->argc);
            abort();
        }
        for (int i = 0; i < p->argc; i++) {
            size_t off = p->argv[i].off, alen = p->argv[i].len;
            if (p->is_inline) {
                if (off + alen >= p->inline_cap || p->inline_buf[off + alen] != '\0') {
                    fprintf(stderr, "inline arg %d out of inline_buf or not terminated\n", i);
                    abort();
                }
            } else {
                /* $<len>\r\n<data>\r\n: data and its CRLF inside pos */
                if (off + alen + 2 > p->pos || buf[off + alen] != '\0') {
                    fprintf(stderr, "bulk arg %d [%zu,+%zu) outside pos %zu or not terminated\n",
                            i, off, alen, p->pos);
                    abort();
                }
            }
        }
        break;
    case RESP_ERROR:
        if (!p->error || !p->error[0]) {
            fprintf(stderr, "RESP_ERROR without message\n");
            abort();
        }
        break;
    default:
        fprintf(stderr, "unknown status %d\n", st);
        abort();
    }
}

static void record(struct run *r, struct resp_parser *p, const char *buf) {
    const char *base = p->is_inline ? p->inline_buf : buf;
    uint32_t argc = (uint32_t)p->argc;
    out_add(r, &argc, sizeof(argc));
    for (int i = 0; i < p->argc; i++) {
        uint64_t alen = p->argv[i].len;
        out_add(r, &alen, sizeof(alen));
        out_add(r, base + p->argv[i].off, p->argv[i].len);
    }
    r->ncmds++;
}

static void set_error(struct run *r, const char *msg) {
    snprintf(r->errcopy, sizeof(r->errcopy), "%s", msg);
    r->error = r->errcopy;
}

/* ---- the parser on one whole buffer ---- */

static void run_whole(const unsigned char *data, size_t len, long long maxbulk, int auth,
                      struct run *r) {
    struct resp_parser p;
    resp_parser_init(&p);
    p.max_bulk_len = maxbulk;
    p.auth_required = auth;
    char *buf = malloc(len ? len : 1);
    if (!buf) abort();
    memcpy(buf, data, len);
    size_t start = 0;
    while (start < len && r->ncmds < MAX_CMDS) {
        enum resp_status st = resp_parse(&p, buf + start, len - start);
        check_status(&p, st, buf + start, len - start);
        if (st == RESP_MORE) break;
        if (st == RESP_ERROR) {
            set_error(r, p.error);
            break;
        }
        if (st == RESP_COMMAND) record(r, &p, buf + start);
        start += p.pos;
        resp_parser_reset(&p);
    }
    free(buf);
    resp_parser_free(&p);
}

/* ---- connection.c's loop, in the chunks the fuzzer chose ---- */

struct conn {
    char *qbuf;
    size_t qlen, qcap, qpos;
    struct resp_parser parser;
    int closed;
    size_t read_chunk;
};

/* connection.c's qbuf_reserve, verbatim but for READ_CHUNK */
static int qbuf_reserve(struct conn *c, size_t want_free) {
    if (c->qcap - c->qlen >= want_free) return 0;
    if (c->qpos > 0) {
        memmove(c->qbuf, c->qbuf + c->qpos, c->qlen - c->qpos);
        c->qlen -= c->qpos;
        c->qpos = 0;
        if (c->qcap - c->qlen >= want_free) return 0;
    }
    size_t cap = c->qlen + want_free;
    if (cap < 2 * c->qcap && want_free <= c->read_chunk) cap = 2 * c->qcap;
    char *n = realloc(c->qbuf, cap);
    if (!n) return -1;
    c->qbuf = n;
    c->qcap = cap;
    return 0;
}

/* connection.c's process_input */
static void process_input(struct conn *c, struct run *r, long long maxbulk, int auth) {
    struct resp_parser *p = &c->parser;
    while (c->qpos < c->qlen && !c->closed && r->ncmds < MAX_CMDS) {
        p->max_bulk_len = maxbulk;
        p->auth_required = auth;
        enum resp_status st = resp_parse(p, c->qbuf + c->qpos, c->qlen - c->qpos);
        check_status(p, st, c->qbuf + c->qpos, c->qlen - c->qpos);
        if (st == RESP_MORE) {
            if (p->need >= RESP_BIG_ARG && c->qpos + p->need > c->qcap) {
                if (qbuf_reserve(c, p->need - (c->qlen - c->qpos)) < 0) {
                    set_error(r, "out of memory");
                    c->closed = 1;
                }
            }
            break;
        }
        if (st == RESP_ERROR) {
            set_error(r, p->error);
            c->closed = 1;
            break;
        }
        if (st == RESP_COMMAND) record(r, p, c->qbuf + c->qpos);
        c->qpos += p->pos;
        resp_parser_reset(p);
    }
    if (c->qpos == c->qlen) c->qpos = c->qlen = 0;
}

/* connection.c's on_readable: `avail` bytes are waiting in the socket */
static size_t on_readable(struct conn *c, const unsigned char *src, size_t avail, struct run *r,
                          long long maxbulk, int auth) {
    size_t want = c->read_chunk;
    struct resp_parser *p = &c->parser;
    if (p->need > 0 && c->qpos + p->need > c->qlen) {
        size_t missing = c->qpos + p->need - c->qlen;
        if (missing > want) want = missing;
    }
    if (qbuf_reserve(c, want) < 0) {
        set_error(r, "out of memory");
        c->closed = 1;
        return 0;
    }
    size_t n = avail < want ? avail : want;
    memcpy(c->qbuf + c->qlen, src, n);
    c->qlen += n;
    if (c->qcap > r->max_qcap) r->max_qcap = c->qcap;
    process_input(c, r, maxbulk, auth);
    return n;
}

static void run_split(const unsigned char *data, size_t len, const size_t *chunks, int nchunks,
                      long long maxbulk, int auth, size_t read_chunk, struct run *r) {
    struct conn c = {0};
    c.read_chunk = read_chunk;
    resp_parser_init(&c.parser);
    size_t off = 0;
    int ci = 0;
    while (off < len && !c.closed && r->ncmds < MAX_CMDS) {
        /* the next segment the client sends; the socket then holds it and
         * the server reads it in as many reads as it takes */
        size_t seg = ci < nchunks ? chunks[ci++] : len - off;
        if (seg == 0) seg = 1;
        if (seg > len - off) seg = len - off;
        size_t end = off + seg;
        while (off < end && !c.closed && r->ncmds < MAX_CMDS)
            off += on_readable(&c, data + off, end - off, r, maxbulk, auth);
    }
    free(c.qbuf);
    resp_parser_free(&c.parser);
}

static int too_big(const char *e) {
    return e && strstr(e, "too big") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    static const long long maxbulks[4] = {64, 4096, 1024 * 1024, 512LL * 1024 * 1024};
    int auth = data[0] & 1;
    long long maxbulk = maxbulks[(data[0] >> 1) & 3];
    size_t read_chunk = (data[0] & 8) ? 13 : 16 * 1024;
    int nsplit = data[1] % 32;
    size_t hdr = 2 + (size_t)nsplit * 2;
    if (size < hdr) return 0;
    size_t chunks[32];
    for (int i = 0; i < nsplit; i++) chunks[i] = (size_t)data[2 + 2 * i] | ((size_t)data[3 + 2 * i] << 8);
    const unsigned char *payload = data + hdr;
    size_t len = size - hdr;

    struct run whole = {0}, split = {0};
    run_whole(payload, len, maxbulk, auth, &whole);
    run_split(payload, len, chunks, nsplit, maxbulk, auth, read_chunk, &split);

    int capped = whole.ncmds >= MAX_CMDS || split.ncmds >= MAX_CMDS;
    if (!capped) {
        if (too_big(split.error) || too_big(whole.error)) {
            /* what has been parsed before the limit hit must agree */
            size_t n = split.outlen < whole.outlen ? split.outlen : whole.outlen;
            if (n && memcmp(split.out, whole.out, n) != 0) {
                fprintf(stderr, "split/whole commands differ before a 'too big' error\n");
                abort();
            }
        } else {
            if (split.outlen != whole.outlen ||
                (split.outlen && memcmp(split.out, whole.out, split.outlen) != 0) ||
                split.ncmds != whole.ncmds) {
                fprintf(stderr, "split/whole commands differ: %d vs %d commands\n", split.ncmds,
                        whole.ncmds);
                abort();
            }
            if ((split.error == NULL) != (whole.error == NULL) ||
                (split.error && strcmp(split.error, whole.error) != 0)) {
                fprintf(stderr, "split/whole errors differ: '%s' vs '%s'\n",
                        split.error ? split.error : "-", whole.error ? whole.error : "-");
                abort();
            }
        }
    }
    /* The query buffer: a command being parsed needs at most its own size
     * (<= input) plus one read chunk, doubled by geometric growth. */
    size_t bound = 2 * (len + 2 * read_chunk + 64);
    if (split.max_qcap > bound && split.max_qcap > (size_t)maxbulk) {
        fprintf(stderr, "query buffer grew to %zu for %zu input bytes\n", split.max_qcap, len);
        abort();
    }
    free(whole.out);
    free(split.out);
    return 0;
}

#else
/* Compiled into the server by src/Makefile's wildcard: nothing here. */
typedef int shoal_fuzz_resp_unused;
#endif
