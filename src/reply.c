/* reply.c -- building replies: RESP2/RESP3 encoding into the client's
 * chain of output blocks. Nothing here does I/O; connection.c writes the
 * blocks out once the batch of commands from one read has run.
 *
 * The client keeps its first block between batches, so a typical
 * request/reply cycle allocates nothing. Output is unbounded, as Redis's
 * default for normal clients (client-output-buffer-limit normal 0 0 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"
#include "stats.h"
#include "util.h"

#define REPLY_BLOCK_SIZE (16 * 1024)

static struct reply_block *block_new(size_t size) {
    struct reply_block *b = malloc(sizeof(*b) + size);
    if (!b) abort();
    b->next = NULL;
    b->size = size;
    b->used = 0;
    b->hole = 0;
    return b;
}

static int suppressed(struct client *c) {
    return (atomic_load_explicit(&c->flags, memory_order_relaxed) &
            (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) != 0;
}

static void append(struct client *c, const char *s, size_t len) {
    if (len == 0) return; /* s may be NULL for an empty string */
    struct reply_block *t = c->reply_tail;
    c->reply_bytes += len;
    if (t) {
        size_t room = t->size - t->used;
        size_t n = len < room ? len : room;
        memcpy(t->buf + t->used, s, n);
        t->used += n;
        s += n;
        len -= n;
        if (len == 0) return;
    }
    struct reply_block *b = block_new(len > REPLY_BLOCK_SIZE ? len : REPLY_BLOCK_SIZE);
    memcpy(b->buf, s, len);
    b->used = len;
    if (t) t->next = b;
    else c->reply_head = b;
    c->reply_tail = b;
}

void reply_raw(struct client *c, const char *s, size_t len) {
    if (suppressed(c)) return;
    append(c, s, len);
}

/* "<prefix><n>\r\n" */
static void header(struct client *c, char prefix, long long n) {
    char buf[32];
    buf[0] = prefix;
    int l = ll2string(buf + 1, sizeof(buf) - 1, n);
    buf[l + 1] = '\r';
    buf[l + 2] = '\n';
    append(c, buf, (size_t)l + 3);
}

void reply_ok(struct client *c) {
    reply_raw(c, "+OK\r\n", 5);
}

void reply_status(struct client *c, const char *status) {
    if (suppressed(c)) return;
    append(c, "+", 1);
    append(c, status, strlen(status));
    append(c, "\r\n", 2);
}

/* Error replies: count them (INFO errorstats), then send "-<msg>\r\n"
 * with any CR/LF in the message turned into spaces, as Redis does. */
void reply_error(struct client *c, const char *msg) {
    size_t len = strlen(msg);
    const char *sp = memchr(msg, ' ', len);
    stats_count_error(msg, sp ? (size_t)(sp - msg) : len);
    if (suppressed(c)) return;
    append(c, "-", 1);
    if (strpbrk(msg, "\r\n")) {
        char *copy = strdup(msg);
        for (char *p = copy; *p; p++)
            if (*p == '\r' || *p == '\n') *p = ' ';
        append(c, copy, len);
        free(copy);
    } else {
        append(c, msg, len);
    }
    append(c, "\r\n", 2);
}

/* A formatted error, as Redis's addReplyErrorFormat: CR/LF at either end
 * are trimmed (the ones inside become spaces in reply_error). */
void reply_errorf(struct client *c, const char *fmt, ...) {
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    char *start = msg, *end = msg + n;
    while (start < end && (*start == '\r' || *start == '\n')) start++;
    while (end > start && (end[-1] == '\r' || end[-1] == '\n')) end--;
    *end = '\0';
    reply_error(c, start);
    free(msg);
}

void reply_int(struct client *c, long long v) {
    if (suppressed(c)) return;
    if (v == 0) append(c, ":0\r\n", 4);
    else if (v == 1) append(c, ":1\r\n", 4);
    else header(c, ':', v);
}

void reply_bulk(struct client *c, const char *p, size_t len) {
    if (suppressed(c)) return;
    header(c, '$', (long long)len);
    append(c, p, len);
    append(c, "\r\n", 2);
}

void reply_bulk_cstr(struct client *c, const char *s) {
    if (!s) reply_null(c);
    else reply_bulk(c, s, strlen(s));
}

void reply_bulk_ll(struct client *c, long long v) {
    char buf[32];
    int l = ll2string(buf, sizeof(buf), v);
    reply_bulk(c, buf, (size_t)l);
}

void reply_null(struct client *c) {
    if (c->resp == 3) reply_raw(c, "_\r\n", 3);
    else reply_raw(c, "$-1\r\n", 5);
}

void reply_null_array(struct client *c) {
    if (c->resp == 3) reply_raw(c, "_\r\n", 3);
    else reply_raw(c, "*-1\r\n", 5);
}

void reply_array(struct client *c, long n) {
    if (suppressed(c)) return;
    header(c, '*', n);
}

void reply_map(struct client *c, long n) {
    if (suppressed(c)) return;
    if (c->resp == 3) header(c, '%', n);
    else header(c, '*', n * 2);
}

void reply_set(struct client *c, long n) {
    if (suppressed(c)) return;
    header(c, c->resp == 3 ? '~' : '*', n);
}

void reply_bool(struct client *c, int v) {
    if (c->resp == 3) reply_raw(c, v ? "#t\r\n" : "#f\r\n", 4);
    else reply_int(c, v ? 1 : 0);
}

void reply_verbatim(struct client *c, const char *p, size_t len, const char *ext) {
    if (suppressed(c)) return;
    if (c->resp == 2) {
        reply_bulk(c, p, len);
        return;
    }
    header(c, '=', (long long)len + 4);
    append(c, ext, 3);
    append(c, ":", 1);
    append(c, p, len);
    append(c, "\r\n", 2);
}

/* A deferred length gets a block of its own, filled in later; the writer
 * never runs before the command that deferred it has finished. */
void *reply_defer_len(struct client *c) {
    if (suppressed(c)) return NULL;
    struct reply_block *b = block_new(32);
    if (c->reply_tail) c->reply_tail->next = b;
    else c->reply_head = b;
    c->reply_tail = b;
    /* following output must not land in this small block */
    b->size = 0;
    return b;
}

static void set_deferred(struct client *c, void *handle, char prefix, long n) {
    struct reply_block *b = handle;
    if (!b) return;
    int l = snprintf(b->buf, 32, "%c%ld\r\n", prefix, n);
    b->used = (size_t)l;
    b->size = 32;
    c->reply_bytes += (size_t)l;
}

void reply_set_deferred_array(struct client *c, void *handle, long n) {
    set_deferred(c, handle, '*', n);
}

void reply_set_deferred_map(struct client *c, void *handle, long n) {
    if (c->resp == 3) set_deferred(c, handle, '%', n);
    else set_deferred(c, handle, '*', n * 2);
}

/* A hole is an empty block of size 0 (nothing is appended into it) marked
 * as a hole; filling it links the filled chain in right after it. */
struct reply_block *reply_hole_open(struct client *c) {
    if (suppressed(c)) return NULL;
    struct reply_block *b = block_new(0);
    b->hole = 1;
    if (c->reply_tail) c->reply_tail->next = b;
    else c->reply_head = b;
    c->reply_tail = b;
    return b;
}

void reply_hole_begin(struct client *c, struct hole_fill *f, int resp) {
    f->head = c->reply_head;
    f->tail = c->reply_tail;
    f->resp = c->resp;
    f->quiet = atomic_fetch_and(&c->flags, ~(unsigned)(CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP)) &
               (CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP);
    c->reply_head = c->reply_tail = NULL;
    c->resp = resp;
}

void reply_hole_end(struct client *c, struct reply_block *hole, struct hole_fill *f) {
    struct reply_block *head = c->reply_head, *tail = c->reply_tail;
    c->reply_head = f->head;
    c->reply_tail = f->tail;
    c->resp = f->resp;
    if (f->quiet) atomic_fetch_or(&c->flags, f->quiet);
    hole->hole = 0;
    if (!head) return;
    tail->next = hole->next;
    hole->next = head;
    if (c->reply_tail == hole) c->reply_tail = tail;
}

void reply_syntax_error(struct client *c) {
    reply_error(c, "ERR syntax error");
}

void reply_wrongtype(struct client *c) {
    reply_error(c, "WRONGTYPE Operation against a key holding the wrong kind of value");
}

void reply_not_integer(struct client *c) {
    reply_error(c, "ERR value is not an integer or out of range");
}

void reply_arity_error(struct client *c) {
    reply_errorf(c, "ERR wrong number of arguments for '%s' command",
                 c->cmd ? c->cmd->fullname : "unknown");
}
