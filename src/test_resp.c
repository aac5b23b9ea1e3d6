/* test_resp.c -- unit tests of the request parser (resp.c): every split
 * point, pipelines, inline quoting, malformed frames and limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

#include "test_check.h"

/* Feeds input in pieces of at most `step` bytes (as a socket would) and
 * collects commands as "arg1|arg2|...;" into out. Returns the status that
 * ended parsing (RESP_MORE if all input was consumed cleanly). */
static enum resp_status feed(const char *input, size_t len, size_t step, char *out, size_t outsz,
                             const char **err) {
    struct resp_parser p;
    resp_parser_init(&p);
    char *buf = malloc(len + 1);
    size_t have = 0, start = 0;
    enum resp_status st = RESP_MORE;
    out[0] = '\0';

    while (have < len || start < have) {
        if (have < len) {
            size_t n = len - have < step ? len - have : step;
            memcpy(buf + have, input + have, n);
            have += n;
        }
        for (;;) {
            if (start == have) break;
            st = resp_parse(&p, buf + start, have - start);
            if (st == RESP_MORE) break;
            if (st == RESP_ERROR) {
                *err = p.error;
                free(buf);
                resp_parser_free(&p);
                return st;
            }
            if (st == RESP_COMMAND) {
                const char *base = p.is_inline ? p.inline_buf : buf + start;
                for (int i = 0; i < p.argc; i++) {
                    strncat(out, base + p.argv[i].off, outsz - strlen(out) - 1);
                    /* arguments are NUL-terminated in place */
                    if (base[p.argv[i].off + p.argv[i].len] != '\0') strcat(out, "<noterm>");
                    strncat(out, i + 1 < p.argc ? "|" : ";", outsz - strlen(out) - 1);
                }
            }
            start += p.pos;
            resp_parser_reset(&p);
        }
        if (have == len && st == RESP_MORE) break;
    }
    free(buf);
    resp_parser_free(&p);
    return start == have ? RESP_MORE : RESP_COMMAND;
}

static void expect_commands(const char *input, const char *want) {
    size_t len = strlen(input);
    for (size_t step = 1; step <= len; step++) {
        char out[4096];
        const char *err = NULL;
        enum resp_status st = feed(input, len, step, out, sizeof(out), &err);
        if (st != RESP_MORE || strcmp(out, want) != 0) {
            CHECK(0, "input %.40s split every %zu: got '%s' (status %d, %s), want '%s'", input,
                  step, out, st, err ? err : "-", want);
            return;
        }
    }
    CHECK(1, "ok");
}

static void expect_error(const char *input, size_t len, const char *want) {
    char out[4096];
    const char *err = NULL;
    enum resp_status st = feed(input, len, len, out, sizeof(out), &err);
    CHECK(st == RESP_ERROR && err && strcmp(err, want) == 0, "input %.30s: got %s, want %s",
          input, err ? err : "(no error)", want);
}

int main(void) {
    /* multibulk, pipelined, every split point */
    expect_commands("*1\r\n$4\r\nPING\r\n", "PING;");
    expect_commands("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
                    "SET|k|hello;GET|k;");
    expect_commands("*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", "ECHO|;");
    /* binary data with CR LF inside a bulk */
    expect_commands("*2\r\n$4\r\nECHO\r\n$4\r\na\r\nb\r\n", "ECHO|a\r\nb;");
    /* empty multibulk and blank lines are skipped */
    expect_commands("*0\r\n*-1\r\n\r\n*1\r\n$4\r\nPING\r\n", "PING;");
    /* inline, with CRLF or bare LF, quoting and escapes */
    expect_commands("PING\r\n", "PING;");
    expect_commands("SET k v\n", "SET|k|v;");
    expect_commands("SET \"a b\" 'c d'\r\n", "SET|a b|c d;");
    expect_commands("ECHO \"x\\x41\\n\"\r\n", "ECHO|xA\n;");
    expect_commands("  GET   k  \r\nPING\r\n", "GET|k;PING;");
    expect_commands("ECHO ''\r\n", "ECHO|;");

    /* malformed */
    expect_error("*abc\r\n", 6, "Protocol error: invalid multibulk length");
    expect_error("*3000000000\r\n", 13, "Protocol error: invalid multibulk length");
    expect_error("*1\r\nx3\r\nfoo\r\n", 13, "Protocol error: expected '$', got 'x'");
    expect_error("*1\r\n$-1\r\n", 9, "Protocol error: invalid bulk length");
    expect_error("*1\r\n$abc\r\n", 10, "Protocol error: invalid bulk length");
    expect_error("SET \"k v\r\n", 10, "Protocol error: unbalanced quotes in request");
    expect_error("SET 'k\r\n", 8, "Protocol error: unbalanced quotes in request");
    expect_error("SET \"a\"b\r\n", 10, "Protocol error: unbalanced quotes in request");

    /* limits */
    {
        size_t n = RESP_INLINE_MAX + 10;
        char *big = malloc(n);
        memset(big, 'a', n);
        expect_error(big, n, "Protocol error: too big inline request");
        big[0] = '*';
        memset(big + 1, '1', n - 1);
        expect_error(big, n, "Protocol error: too big mbulk count string");
        free(big);
    }
    {
        struct resp_parser p;
        resp_parser_init(&p);
        p.max_bulk_len = 10;
        char in[] = "*1\r\n$11\r\n";
        CHECK(resp_parse(&p, in, strlen(in)) == RESP_ERROR &&
                  strcmp(p.error, "Protocol error: invalid bulk length") == 0,
              "proto-max-bulk-len is enforced");
        resp_parser_reset(&p);
        p.max_bulk_len = 1 << 20;
        p.auth_required = 1;
        char in2[] = "*11\r\n";
        CHECK(resp_parse(&p, in2, strlen(in2)) == RESP_ERROR &&
                  strcmp(p.error, "Protocol error: unauthenticated multibulk length") == 0,
              "unauthenticated multibulk length");
        resp_parser_reset(&p);
        char in3[] = "*1\r\n$16385\r\n";
        CHECK(resp_parse(&p, in3, strlen(in3)) == RESP_ERROR &&
                  strcmp(p.error, "Protocol error: unauthenticated bulk length") == 0,
              "unauthenticated bulk length");
        resp_parser_reset(&p);
        p.auth_required = 0;
        /* a big bulk announces how many bytes the whole command needs */
        char in4[] = "*2\r\n$3\r\nSET\r\n$100000\r\nxx";
        CHECK(resp_parse(&p, in4, strlen(in4)) == RESP_MORE && p.need == 22 + 100000 + 2,
              "need for a big bulk: %zu", p.need);
        resp_parser_free(&p);
    }

    return test_report();
}
