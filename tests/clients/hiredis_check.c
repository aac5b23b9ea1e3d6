/* hiredis_check.c -- drives a server with the hiredis C client.
 *
 * Build and run (the Tcl suite does exactly this):
 *   cc -o tests/tmp/hiredis_check tests/clients/hiredis_check.c -lhiredis \
 *      -Wall -Wextra -Werror
 *   tests/tmp/hiredis_check --host 127.0.0.1 --port N
 *
 * Synchronous context only: SET/GET, a pipeline of 1000 commands written with
 * redisAppendCommand and read back with redisGetReply, binary-safe keys and
 * values (every byte value, NUL, CR LF, 1 MiB), error replies, the INCR
 * family. Exits 0 if everything matches; on the first mismatch prints
 * "FAIL ..." and exits 1; exits 2 if it cannot connect. Every socket
 * operation has a 10 s timeout and the whole run is bounded by alarm(60).
 * Keys start with a per-run prefix and are deleted at the end.
 * Works with hiredis 0.14 (Debian bookworm) and 1.x. */
#include <hiredis/hiredis.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static redisContext *c;
static char prefix[64];
static int checks;

static void fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "FAIL hiredis_check: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void on_alarm(int sig) {
    static const char msg[] = "FAIL hiredis_check: did not finish within 60 s\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
    _exit(1);
}

static const char *type_name(int t) {
    switch (t) {
    case REDIS_REPLY_STRING: return "string";
    case REDIS_REPLY_ARRAY: return "array";
    case REDIS_REPLY_INTEGER: return "integer";
    case REDIS_REPLY_NIL: return "nil";
    case REDIS_REPLY_STATUS: return "status";
    case REDIS_REPLY_ERROR: return "error";
    default: return "other";
    }
}

/* A reply, or exits with the context error. */
static redisReply *need(void *r, const char *what) {
    if (r == NULL)
        fail("%s: no reply (%s)", what, c->errstr[0] ? c->errstr : "?");
    checks++;
    return r;
}

static void expect_status(redisReply *r, const char *want, const char *what) {
    if (r->type != REDIS_REPLY_STATUS || strcmp(r->str, want) != 0)
        fail("%s: want status %s, got %s %s", what, want, type_name(r->type),
             r->str ? r->str : "");
    freeReplyObject(r);
}

static void expect_str(redisReply *r, const char *want, size_t wantlen,
                       const char *what) {
    if (r->type != REDIS_REPLY_STRING)
        fail("%s: want a bulk string, got %s %s", what, type_name(r->type),
             r->str ? r->str : "");
    if (r->len != wantlen || memcmp(r->str, want, wantlen) != 0)
        fail("%s: bulk string mismatch (len %zu, want %zu)", what,
             (size_t)r->len, wantlen);
    freeReplyObject(r);
}

static void expect_int(redisReply *r, long long want, const char *what) {
    if (r->type != REDIS_REPLY_INTEGER || r->integer != want)
        fail("%s: want integer %lld, got %s %lld %s", what, want,
             type_name(r->type), r->integer, r->str ? r->str : "");
    freeReplyObject(r);
}

static void expect_nil(redisReply *r, const char *what) {
    if (r->type != REDIS_REPLY_NIL)
        fail("%s: want nil, got %s %s", what, type_name(r->type),
             r->str ? r->str : "");
    freeReplyObject(r);
}

/* An error reply whose text starts with the given prefix. */
static void expect_err(redisReply *r, const char *want_prefix, const char *what) {
    if (r->type != REDIS_REPLY_ERROR)
        fail("%s: want an error reply, got %s", what, type_name(r->type));
    if (strncmp(r->str, want_prefix, strlen(want_prefix)) != 0)
        fail("%s: error \"%s\" does not start with \"%s\"", what, r->str,
             want_prefix);
    freeReplyObject(r);
}

static void usage(void) {
    fprintf(stderr, "usage: hiredis_check --host HOST --port PORT\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 0;
    struct timeval tv = {10, 0};
    char key[128], val[128];
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--host") == 0 && i + 1 < argc)
            host = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = atoi(argv[++i]);
        else
            usage();
    }
    if (port <= 0 || port > 65535)
        usage();
    signal(SIGALRM, on_alarm);
    alarm(60);

    c = redisConnectWithTimeout(host, port, tv);
    if (c == NULL || c->err) {
        fprintf(stderr, "hiredis_check: cannot connect to %s:%d: %s\n", host,
                port, c ? c->errstr : "out of memory");
        return 2;
    }
    if (redisSetTimeout(c, tv) != REDIS_OK)
        fail("redisSetTimeout: %s", c->errstr);
    snprintf(prefix, sizeof prefix, "hircheck:%ld:%ld:", (long)getpid(),
             (long)time(NULL));

    /* ---- PING, SET/GET */
    expect_status(need(redisCommand(c, "PING"), "PING"), "PONG", "PING");
    snprintf(key, sizeof key, "%sk", prefix);
    expect_status(need(redisCommand(c, "SET %s %s", key, "hello"), "SET"), "OK", "SET");
    expect_str(need(redisCommand(c, "GET %s", key), "GET"), "hello", 5, "GET");
    expect_status(need(redisCommand(c, "SET %s %s", key, "world"), "SET"), "OK",
                  "SET overwrite");
    expect_str(need(redisCommand(c, "GET %s", key), "GET"), "world", 5,
               "GET after overwrite");
    snprintf(key, sizeof key, "%smissing", prefix);
    expect_nil(need(redisCommand(c, "GET %s", key), "GET missing"), "GET missing");
    snprintf(key, sizeof key, "%sempty", prefix);
    expect_status(need(redisCommand(c, "SET %s %b", key, "", (size_t)0), "SET empty"),
                  "OK", "SET empty");
    expect_str(need(redisCommand(c, "GET %s", key), "GET empty"), "", 0, "GET empty");

    /* ---- pipeline: 1000 commands appended, then 1000 replies read */
    for (i = 0; i < 500; i++) {
        snprintf(key, sizeof key, "%sp:%d", prefix, i);
        snprintf(val, sizeof val, "value-%d", i);
        if (redisAppendCommand(c, "SET %s %s", key, val) != REDIS_OK ||
            redisAppendCommand(c, "GET %s", key) != REDIS_OK)
            fail("redisAppendCommand: %s", c->errstr);
    }
    for (i = 0; i < 500; i++) {
        void *rep = NULL;
        snprintf(val, sizeof val, "value-%d", i);
        if (redisGetReply(c, &rep) != REDIS_OK)
            fail("pipeline reply %d: %s", 2 * i, c->errstr);
        expect_status(need(rep, "pipelined SET"), "OK", "pipelined SET");
        if (redisGetReply(c, &rep) != REDIS_OK)
            fail("pipeline reply %d: %s", 2 * i + 1, c->errstr);
        expect_str(need(rep, "pipelined GET"), val, strlen(val), "pipelined GET");
    }
    /* a pipeline with an error in the middle keeps its order */
    snprintf(key, sizeof key, "%sp:0", prefix);
    redisAppendCommand(c, "INCR %s", key);            /* "value-0": error */
    redisAppendCommand(c, "GET %s", key);
    redisAppendCommand(c, "PING");
    {
        void *rep = NULL;
        if (redisGetReply(c, &rep) != REDIS_OK) fail("pipeline: %s", c->errstr);
        expect_err(need(rep, "pipelined INCR"), "ERR", "pipelined INCR on string");
        if (redisGetReply(c, &rep) != REDIS_OK) fail("pipeline: %s", c->errstr);
        expect_str(need(rep, "GET after error"), "value-0", 7, "pipelined GET after error");
        if (redisGetReply(c, &rep) != REDIS_OK) fail("pipeline: %s", c->errstr);
        expect_status(need(rep, "PING after error"), "PONG", "pipelined PING after error");
    }

    /* ---- binary-safe keys and values */
    {
        unsigned char bin[256 * 4 + 8];
        char bkey[64];
        size_t bklen, n;
        char *big;
        for (n = 0; n < 256 * 4; n++)
            bin[n] = (unsigned char)(n & 0xff);
        memcpy(bin + 256 * 4, "\r\n\0\r\n\0$x", 8);
        bklen = (size_t)snprintf(bkey, sizeof bkey, "%sbin", prefix);
        memcpy(bkey + bklen, "\0\r\n\xff", 4);
        bklen += 4;
        expect_status(need(redisCommand(c, "SET %b %b", bkey, bklen, bin, sizeof bin),
                           "SET binary"), "OK", "SET binary");
        expect_str(need(redisCommand(c, "GET %b", bkey, bklen), "GET binary"),
                   (const char *)bin, sizeof bin, "GET binary");
        expect_int(need(redisCommand(c, "STRLEN %b", bkey, bklen), "STRLEN binary"),
                   (long long)sizeof bin, "STRLEN binary");
        expect_int(need(redisCommand(c, "DEL %b", bkey, bklen), "DEL binary"), 1,
                   "DEL binary key");

        n = 1024 * 1024;                                /* 1 MiB value */
        big = malloc(n);
        if (big == NULL) fail("out of memory");
        for (i = 0; i < (int)n; i++)
            big[i] = (char)("0123456789abcdef\r\n\0"[i % 19]);
        snprintf(key, sizeof key, "%sbig", prefix);
        expect_status(need(redisCommand(c, "SET %s %b", key, big, n), "SET 1MiB"),
                      "OK", "SET 1MiB");
        expect_str(need(redisCommand(c, "GET %s", key), "GET 1MiB"), big, n, "GET 1MiB");
        free(big);
    }

    /* ---- error replies */
    expect_err(need(redisCommand(c, "NOSUCHCOMMANDXYZ a b"), "unknown command"),
               "ERR", "unknown command");
    expect_err(need(redisCommand(c, "GET"), "GET without key"), "ERR",
               "GET wrong arity");
    snprintf(key, sizeof key, "%sk", prefix);
    expect_err(need(redisCommand(c, "SET %s v EX notanumber", key), "SET EX bad"),
               "ERR", "SET EX not a number");
    expect_err(need(redisCommand(c, "INCR %s", key), "INCR on string"), "ERR",
               "INCR on a non-integer");
    /* the connection is still usable after errors */
    expect_str(need(redisCommand(c, "GET %s", key), "GET after errors"), "world", 5,
               "GET after errors");

    /* ---- INCR family */
    snprintf(key, sizeof key, "%sctr", prefix);
    expect_int(need(redisCommand(c, "INCR %s", key), "INCR"), 1, "INCR missing key");
    expect_int(need(redisCommand(c, "INCR %s", key), "INCR"), 2, "INCR");
    expect_int(need(redisCommand(c, "INCRBY %s 40", key), "INCRBY"), 42, "INCRBY");
    expect_int(need(redisCommand(c, "DECR %s", key), "DECR"), 41, "DECR");
    expect_int(need(redisCommand(c, "DECRBY %s 50", key), "DECRBY"), -9, "DECRBY");
    expect_str(need(redisCommand(c, "GET %s", key), "GET counter"), "-9", 2, "GET counter");
    expect_str(need(redisCommand(c, "INCRBYFLOAT %s 1.5", key), "INCRBYFLOAT"),
               "-7.5", 4, "INCRBYFLOAT");
    expect_status(need(redisCommand(c, "SET %s 9223372036854775807", key), "SET max"),
                  "OK", "SET LLONG_MAX");
    expect_err(need(redisCommand(c, "INCR %s", key), "INCR overflow"), "ERR",
               "INCR overflow");

    /* ---- MSET/MGET through redisCommandArgv */
    {
        char k1[128], k2[128], k3[128];
        const char *av[5];
        size_t al[5];
        redisReply *r;
        snprintf(k1, sizeof k1, "%sm1", prefix);
        snprintf(k2, sizeof k2, "%sm2", prefix);
        snprintf(k3, sizeof k3, "%sm3", prefix);
        av[0] = "MSET"; av[1] = k1; av[2] = "a"; av[3] = k2; av[4] = "b\0c";
        for (i = 0; i < 4; i++) al[i] = strlen(av[i]);
        al[4] = 3;
        expect_status(need(redisCommandArgv(c, 5, av, al), "MSET"), "OK", "MSET");
        r = need(redisCommand(c, "MGET %s %s %s", k1, k2, k3), "MGET");
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
            fail("MGET: want a 3-element array, got %s", type_name(r->type));
        if (r->element[0]->type != REDIS_REPLY_STRING ||
            strcmp(r->element[0]->str, "a") != 0 ||
            r->element[1]->type != REDIS_REPLY_STRING || r->element[1]->len != 3 ||
            memcmp(r->element[1]->str, "b\0c", 3) != 0 ||
            r->element[2]->type != REDIS_REPLY_NIL)
            fail("MGET: element mismatch");
        freeReplyObject(r);
    }

    /* ---- clean up: every key of this run */
    {
        redisReply *r;
        int deleted = 0;
        for (i = 0; i < 500; i++) {
            snprintf(key, sizeof key, "%sp:%d", prefix, i);
            redisAppendCommand(c, "DEL %s", key);
        }
        for (i = 0; i < 500; i++) {
            void *rep = NULL;
            if (redisGetReply(c, &rep) != REDIS_OK) fail("DEL: %s", c->errstr);
            r = need(rep, "DEL");
            if (r->type == REDIS_REPLY_INTEGER) deleted += (int)r->integer;
            freeReplyObject(r);
        }
        if (deleted != 500) fail("pipelined DEL: deleted %d of 500 keys", deleted);
        r = need(redisCommand(c, "DEL %sk %sempty %sbig %sctr %sm1 %sm2", prefix,
                              prefix, prefix, prefix, prefix, prefix), "DEL");
        expect_int(r, 6, "DEL of the remaining keys");
    }

    redisFree(c);
    printf("hiredis_check: all %d checks passed (hiredis %d.%d.%d, %s:%d)\n",
           checks, HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH, host, port);
    return 0;
}
