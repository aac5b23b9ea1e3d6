/* resp.c -- incremental request parser, see resp.h.
 *
 * Error messages and limits follow Redis 7's networking.c so clients see
 * identical behaviour: "Protocol error: ..." and then the connection is
 * closed by the caller. */
#include "resp.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define ARGV_PREALLOC_MAX 1024   /* don't trust a huge "*N" up front */

void resp_parser_init(struct resp_parser *p) {
    memset(p, 0, sizeof(*p));
    p->max_bulk_len = 512LL * 1024 * 1024;
    p->bulk_len = -1;
}

void resp_parser_free(struct resp_parser *p) {
    free(p->argv);
    free(p->inline_buf);
    p->argv = NULL;
    p->inline_buf = NULL;
    p->argv_cap = 0;
    p->inline_cap = 0;
}

void resp_parser_reset(struct resp_parser *p) {
    p->argc = 0;
    p->is_inline = 0;
    p->pos = 0;
    p->need = 0;
    p->error = NULL;
    p->mbulk_left = 0;
    p->bulk_len = -1;
}

static int ensure_argv(struct resp_parser *p, long long want) {
    if (want <= p->argv_cap) return 0;
    long long cap = p->argv_cap ? p->argv_cap : 8;
    while (cap < want) cap *= 2;
    struct resp_arg *n = realloc(p->argv, (size_t)cap * sizeof(*n));
    if (!n) return -1;
    p->argv = n;
    p->argv_cap = (int)cap;
    return 0;
}

static enum resp_status fail(struct resp_parser *p, const char *msg) {
    p->error = msg;
    return RESP_ERROR;
}

/* ---- inline commands: "SET k v\r\n", Redis sdssplitargs quoting ---- */

static int is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_val(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}

static int is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

/* Splits line[0..len) into arguments in inline_buf. Returns -1 on
 * unbalanced quotes. */
static int split_inline(struct resp_parser *p, const char *line, size_t len) {
    /* Unescaped output never exceeds the input, plus a NUL per argument. */
    size_t need = len * 2 + 1;
    if (need > p->inline_cap) {
        char *n = realloc(p->inline_buf, need);
        if (!n) return -1;
        p->inline_buf = n;
        p->inline_cap = need;
    }
    char *out = p->inline_buf;
    size_t o = 0, i = 0;
    p->argc = 0;

    for (;;) {
        while (i < len && is_space(line[i])) i++;
        if (i == len) return 0;
        size_t start = o;
        int inq = 0, insq = 0, done = 0;
        while (!done) {
            if (inq) {
                if (i == len) return -1;
                if (line[i] == '\\' && i + 3 < len && line[i + 1] == 'x' &&
                    is_hex(line[i + 2]) && is_hex(line[i + 3])) {
                    out[o++] = (char)(hex_val(line[i + 2]) * 16 + hex_val(line[i + 3]));
                    i += 3;
                } else if (line[i] == '\\' && i + 1 < len) {
                    char c;
                    i++;
                    switch (line[i]) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: c = line[i]; break;
                    }
                    out[o++] = c;
                } else if (line[i] == '"') {
                    /* closing quote must be followed by a space or nothing */
                    if (i + 1 < len && !is_space(line[i + 1])) return -1;
                    done = 1;
                } else {
                    out[o++] = line[i];
                }
            } else if (insq) {
                if (i == len) return -1;
                if (line[i] == '\\' && i + 1 < len && line[i + 1] == '\'') {
                    i++;
                    out[o++] = '\'';
                } else if (line[i] == '\'') {
                    if (i + 1 < len && !is_space(line[i + 1])) return -1;
                    done = 1;
                } else {
                    out[o++] = line[i];
                }
            } else {
                if (i == len) {
                    done = 1;
                    break;
                }
                switch (line[i]) {
                case ' ': case '\n': case '\r': case '\t': case '\0':
                    done = 1;
                    break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: out[o++] = line[i]; break;
                }
            }
            if (i < len) i++;
        }
        out[o++] = '\0';
        if (ensure_argv(p, p->argc + 1) < 0) return -1;
        p->argv[p->argc].off = start;
        p->argv[p->argc].len = o - 1 - start;
        p->argc++;
    }
}

static enum resp_status parse_inline(struct resp_parser *p, char *buf, size_t len) {
    char *nl = memchr(buf, '\n', len);
    if (!nl) {
        if (len > RESP_INLINE_MAX) return fail(p, "Protocol error: too big inline request");
        return RESP_MORE;
    }
    size_t linelen = (size_t)(nl - buf);
    if (linelen > 0 && buf[linelen - 1] == '\r') linelen--;
    p->pos = (size_t)(nl - buf) + 1;
    p->is_inline = 1;
    if (split_inline(p, buf, linelen) < 0)
        return fail(p, "Protocol error: unbalanced quotes in request");
    return p->argc ? RESP_COMMAND : RESP_EMPTY;
}

/* ---- multibulk: "*<n>\r\n" then n times "$<len>\r\n<bytes>\r\n" ---- */

/* Finds the "\r\n"-terminated line at buf[pos], returns its length without
 * the CRLF, or -1 if incomplete. Redis searches for '\r' and assumes '\n'. */
static long find_line(const char *buf, size_t len, size_t pos) {
    const char *cr = memchr(buf + pos, '\r', len - pos);
    if (!cr || (size_t)(cr - buf) + 1 >= len) return -1;
    return (long)(cr - (buf + pos));
}

static enum resp_status parse_multibulk(struct resp_parser *p, char *buf, size_t len) {
    long long ll;

    if (p->mbulk_left == 0) {
        /* the "*<n>" line */
        long l = find_line(buf, len, 0);
        if (l < 0) {
            if (len > RESP_INLINE_MAX) return fail(p, "Protocol error: too big mbulk count string");
            return RESP_MORE;
        }
        if (!string2ll(buf + 1, (size_t)l - 1, &ll) || ll > INT_MAX)
            return fail(p, "Protocol error: invalid multibulk length");
        if (ll > 10 && p->auth_required)
            return fail(p, "Protocol error: unauthenticated multibulk length");
        p->pos = (size_t)l + 2;
        if (ll <= 0) return RESP_EMPTY;
        if (ensure_argv(p, ll < ARGV_PREALLOC_MAX ? ll : ARGV_PREALLOC_MAX) < 0)
            return fail(p, "Protocol error: out of memory");
        p->mbulk_left = ll;
        p->argc = 0;
        p->bulk_len = -1;
    }

    while (p->mbulk_left > 0) {
        if (p->bulk_len == -1) {
            if (p->pos >= len) return RESP_MORE;
            long l = find_line(buf, len, p->pos);
            if (l < 0) {
                if (len - p->pos > RESP_INLINE_MAX)
                    return fail(p, "Protocol error: too big bulk count string");
                return RESP_MORE;
            }
            if (buf[p->pos] != '$') {
                snprintf(p->errbuf, sizeof(p->errbuf), "Protocol error: expected '$', got '%c'",
                         buf[p->pos]);
                return fail(p, p->errbuf);
            }
            if (!string2ll(buf + p->pos + 1, (size_t)l - 1, &ll) || ll < 0 ||
                ll > p->max_bulk_len)
                return fail(p, "Protocol error: invalid bulk length");
            if (ll > 16384 && p->auth_required)
                return fail(p, "Protocol error: unauthenticated bulk length");
            p->pos += (size_t)l + 2;
            p->bulk_len = ll;
        }
        /* Redis skips the two bytes after the data without checking them. */
        size_t end = p->pos + (size_t)p->bulk_len + 2;
        if (end > len) {
            p->need = end;
            return RESP_MORE;
        }
        if (ensure_argv(p, p->argc + 1) < 0) return fail(p, "Protocol error: out of memory");
        p->argv[p->argc].off = p->pos;
        p->argv[p->argc].len = (size_t)p->bulk_len;
        buf[p->pos + (size_t)p->bulk_len] = '\0';
        p->argc++;
        p->pos = end;
        p->bulk_len = -1;
        p->mbulk_left--;
    }
    p->need = 0;
    return RESP_COMMAND;
}

enum resp_status resp_parse(struct resp_parser *p, char *buf, size_t len) {
    p->need = 0;
    if (len == 0) return RESP_MORE;
    if (buf[0] == '*') return parse_multibulk(p, buf, len);
    return parse_inline(p, buf, len);
}
