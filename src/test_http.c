/* test_http.c -- unit tests of http_request.c: the request heads a
 * scraper, a probe or curl sends; every way a head is refused (and with
 * which status); heads arriving byte by byte; the size bound. */
#include <stdio.h>
#include <string.h>

#include "http_request.h"

#include "test_check.h"

#define MAX 8192

static enum http_parse parse(const char *s, struct http_request *req) {
    return http_parse_request(s, strlen(s), MAX, req);
}

static int path_is(const struct http_request *req, const char *path) {
    return req->path_len == strlen(path) && memcmp(req->path, path, req->path_len) == 0;
}

static int method_is(const struct http_request *req, const char *m) {
    return req->method_len == strlen(m) && memcmp(req->method, m, req->method_len) == 0;
}

/* The status a head is refused with, 0 if it is not refused. */
static int refused(const char *s) {
    struct http_request req;
    return parse(s, &req) == HTTP_ERROR ? req.status : 0;
}

static void test_valid(void) {
    struct http_request req;
    const char *prom = "GET /metrics HTTP/1.1\r\nHost: 10.0.0.1:9121\r\n"
                       "User-Agent: Prometheus/2.42.0\r\n"
                       "Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4"
                       ";q=0.5,*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
                       "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";
    CHECK(parse(prom, &req) == HTTP_COMPLETE, "Prometheus's scrape");
    CHECK(method_is(&req, "GET") && path_is(&req, "/metrics"), "method and path");
    CHECK(req.version_minor == 1, "HTTP/1.1");
    CHECK(req.head_len == strlen(prom), "head_len %zu", req.head_len);

    CHECK(parse("HEAD /healthz HTTP/1.0\r\n\r\n", &req) == HTTP_COMPLETE, "HTTP/1.0, no headers");
    CHECK(method_is(&req, "HEAD") && path_is(&req, "/healthz") && req.version_minor == 0, "HEAD");

    CHECK(parse("GET /readyz HTTP/1.1\nHost: x\n\n", &req) == HTTP_COMPLETE, "bare LF");
    CHECK(path_is(&req, "/readyz") && req.head_len == 30, "bare LF head_len %zu", req.head_len);

    CHECK(parse("\r\n\r\nGET / HTTP/1.1\r\n\r\n", &req) == HTTP_COMPLETE, "leading blank lines");
    CHECK(path_is(&req, "/"), "path /");

    CHECK(parse("GET /metrics?name[]=x&y HTTP/1.1\r\n\r\n", &req) == HTTP_COMPLETE, "query");
    CHECK(path_is(&req, "/metrics"), "query stripped");

    CHECK(parse("GET http://Host:9121/metrics?x HTTP/1.1\r\n\r\n", &req) == HTTP_COMPLETE,
          "absolute-form");
    CHECK(path_is(&req, "/metrics"), "absolute-form path");
    CHECK(parse("GET HTTPS://host HTTP/1.1\r\n\r\n", &req) == HTTP_COMPLETE, "no path");
    CHECK(path_is(&req, "/"), "absolute-form without a path is /");
    CHECK(parse("OPTIONS * HTTP/1.1\r\n\r\n", &req) == HTTP_COMPLETE, "asterisk-form");
    CHECK(path_is(&req, "*") && method_is(&req, "OPTIONS"), "asterisk");

    /* methods are case-sensitive tokens: routing refuses these, not the parser */
    CHECK(parse("get /metrics HTTP/1.1\r\n\r\n", &req) == HTTP_COMPLETE, "lower-case method");
    CHECK(parse("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &req) == HTTP_COMPLETE,
          "body left unread");
    CHECK(req.head_len == strlen("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\n"),
          "head_len stops before the body");

    CHECK(parse("GET / HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\t\r\nX-Utf8: caf\xc3\xa9\r\n\r\n", &req) ==
              HTTP_COMPLETE,
          "empty value, tabs, obs-text");
    CHECK(parse("GET / HTTP/1.2\r\n\r\n", &req) == HTTP_COMPLETE && req.version_minor == 2,
          "a higher minor version is HTTP/1");
}

static void test_incomplete(void) {
    struct http_request req;
    const char *full = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";
    size_t n = strlen(full);
    for (size_t i = 0; i < n; i++) {
        enum http_parse r = http_parse_request(full, i, MAX, &req);
        CHECK(r == HTTP_INCOMPLETE, "prefix of %zu bytes: %d", i, (int)r);
    }
    CHECK(http_parse_request(full, n, MAX, &req) == HTTP_COMPLETE, "whole");
    CHECK(parse("", &req) == HTTP_INCOMPLETE, "nothing yet");
    CHECK(parse("\r\n", &req) == HTTP_INCOMPLETE, "a blank line only");
    CHECK(parse("GET /metr", &req) == HTTP_INCOMPLETE, "half a request line");
}

static void test_refused(void) {
    CHECK(refused("GET /metrics\r\n\r\n") == 400, "HTTP/0.9 (no version)");
    CHECK(refused("GET /metrics HTTP/1.1 extra\r\n\r\n") == 400, "four words");
    CHECK(refused("GET  /metrics HTTP/1.1\r\n\r\n") == 400, "two spaces");
    CHECK(refused("GET /metrics HTTP/11\r\n\r\n") == 400, "malformed version");
    CHECK(refused("GET /metrics http/1.1\r\n\r\n") == 400, "version is case-sensitive");
    CHECK(refused("GET /metrics HTTP/2.0\r\n\r\n") == 505, "HTTP/2");
    CHECK(refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 505, "HTTP/2 preface");
    CHECK(refused("GET metrics HTTP/1.1\r\n\r\n") == 400, "relative target");
    CHECK(refused("GET http:///x HTTP/1.1\r\n\r\n") == 400, "absolute-form without host");
    CHECK(refused("G(T / HTTP/1.1\r\n\r\n") == 400, "method not a token");
    CHECK(refused(" GET / HTTP/1.1\r\n\r\n") == 400, "leading space");
    CHECK(refused("GET /\x01 HTTP/1.1\r\n\r\n") == 400, "control character in the target");
    CHECK(refused("GET / HTTP/1.1\r\nHost : x\r\n\r\n") == 400, "space before the colon");
    CHECK(refused("GET / HTTP/1.1\r\nHost x\r\n\r\n") == 400, "no colon");
    CHECK(refused("GET / HTTP/1.1\r\n: x\r\n\r\n") == 400, "empty name");
    CHECK(refused("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n") == 400, "obs-fold");
    CHECK(refused("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n") == 400, "bare CR in a value");
    CHECK(refused("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n") == 400, "DEL in a value");
    char nul[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
    struct http_request req;
    CHECK(http_parse_request(nul, sizeof(nul) - 1, MAX, &req) == HTTP_ERROR && req.status == 400,
          "NUL in a value");

    /* garbage is refused before any line end, not after the read timeout */
    CHECK(refused("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == 400, "a TLS hello");
    CHECK(refused("GE\x01") == 400, "control character in a partial method");
    CHECK(refused("AVERYLONGMETHODNAMEWITHOUTANYENDXY") == 400, "method longer than 32");
}

static void test_bounds(void) {
    static char buf[MAX + 100];
    struct http_request req;

    /* a request line that does not fit: 414 */
    memset(buf, 'a', sizeof(buf));
    memcpy(buf, "GET /", 5);
    CHECK(http_parse_request(buf, MAX, MAX, &req) == HTTP_ERROR && req.status == 414,
          "request line over the bound: %d", req.status);
    CHECK(http_parse_request(buf, MAX - 1, MAX, &req) == HTTP_INCOMPLETE, "one byte short");

    /* headers that do not fit: 431 */
    size_t n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
    while (n + 20 < MAX) n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X: %014zu\r\n", n);
    memset(buf + n, 'x', sizeof(buf) - n);
    CHECK(http_parse_request(buf, MAX, MAX, &req) == HTTP_ERROR && req.status == 431,
          "headers over the bound: %d", req.status);
    /* more than the bound given is looked at only up to it */
    CHECK(http_parse_request(buf, sizeof(buf), MAX, &req) == HTTP_ERROR && req.status == 431,
          "len past max");

    /* a head of exactly max bytes is fine */
    n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX: ");
    memset(buf + n, 'v', MAX - n - 4);
    memcpy(buf + MAX - 4, "\r\n\r\n", 4);
    CHECK(http_parse_request(buf, MAX, MAX, &req) == HTTP_COMPLETE && req.head_len == MAX,
          "exactly max");

    /* too many header lines: 431 */
    n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++) n += (size_t)snprintf(buf + n, sizeof(buf) - n, "A: b\r\n");
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
    CHECK(http_parse_request(buf, n, MAX, &req) == HTTP_ERROR && req.status == 431,
          "%d headers", HTTP_MAX_HEADERS + 1);
}

int main(void) {
    test_valid();
    test_incomplete();
    test_refused();
    test_bounds();
    return test_report();
}
