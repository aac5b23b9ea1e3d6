/* http_request.c -- parses the head of an HTTP/1.x request, see
 * http_request.h. Grammar from RFC 9110/9112, restricted to what a
 * metrics scraper or a health probe sends. */
#include "http_request.h"

#include <string.h>

#define MAX_METHOD 32

/* RFC 9110's tchar: the characters of a token (methods, header names). */
static int is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A header value's characters: visible ASCII, space, tab and obs-text. */
static int is_value_char(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static enum http_parse fail(struct http_request *req, int status) {
    req->status = status;
    return HTTP_ERROR;
}

static int prefix_nocase(const char *s, size_t len, const char *prefix) {
    size_t n = strlen(prefix);
    if (len < n) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != prefix[i]) return 0;
    }
    return 1;
}

/* The path of a request target: origin-form ("/metrics?x"), absolute-form
 * ("http://host:9121/metrics") or asterisk-form ("*"). 0, or -1 if it is
 * none of them. */
static int target_path(const char *t, size_t len, struct http_request *req) {
    size_t start = 0;
    if (len == 1 && t[0] == '*') {
        req->path = t;
        req->path_len = 1;
        return 0;
    }
    if (t[0] != '/') {
        size_t skip;
        if (prefix_nocase(t, len, "http://")) skip = 7;
        else if (prefix_nocase(t, len, "https://")) skip = 8;
        else return -1;
        start = skip;
        while (start < len && t[start] != '/' && t[start] != '?' && t[start] != '#') start++;
        if (start == skip) return -1;   /* no authority */
        if (start == len || t[start] != '/') {
            req->path = "/";
            req->path_len = 1;
            return 0;
        }
    }
    size_t end = start;
    while (end < len && t[end] != '?' && t[end] != '#') end++;
    req->path = t + start;
    req->path_len = end - start;
    return 0;
}

/* The request line, complete in line[0..len). */
static enum http_parse request_line(const char *line, size_t len, struct http_request *req) {
    size_t i = 0;
    while (i < len && i <= MAX_METHOD && is_tchar((unsigned char)line[i])) i++;
    if (i == 0 || i > MAX_METHOD || i == len || line[i] != ' ') return fail(req, 400);
    req->method = line;
    req->method_len = i;

    size_t t = ++i;
    while (i < len && (unsigned char)line[i] > 0x20 && (unsigned char)line[i] < 0x7f) i++;
    if (i == t || i == len || line[i] != ' ') return fail(req, 400);
    if (target_path(line + t, i - t, req) < 0) return fail(req, 400);

    const char *v = line + i + 1;
    size_t vlen = len - i - 1;
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(req, 400);
    if (v[5] != '1') return fail(req, 505);
    req->version_minor = v[7] - '0';
    return HTTP_COMPLETE;
}

/* Whether the start of a request line that has no end yet can still be
 * valid: lets binary garbage (a TLS hello...) be refused at once instead
 * of after the read timeout. */
static int partial_line_ok(const char *line, size_t len) {
    size_t i = 0;
    while (i < len && i <= MAX_METHOD && is_tchar((unsigned char)line[i])) i++;
    if (i > MAX_METHOD) return 0;
    if (i < len && line[i] != ' ') return 0;
    for (; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\r') return 0;
    return 1;
}

/* A header line, complete: "name: value". */
static int header_line_ok(const char *line, size_t len) {
    size_t i = 0;
    while (i < len && is_tchar((unsigned char)line[i])) i++;
    if (i == 0 || i == len || line[i] != ':') return 0;   /* also "name :" */
    for (i++; i < len; i++)
        if (!is_value_char((unsigned char)line[i])) return 0;
    return 1;
}

enum http_parse http_parse_request(const char *buf, size_t len, size_t max,
                                   struct http_request *req) {
    size_t p = 0, nheaders = 0;
    int have_request_line = 0;

    memset(req, 0, sizeof(*req));
    if (len > max) len = max;
    /* blank lines before the request line are ignored */
    while (p < len && (buf[p] == '\n' || (buf[p] == '\r' && p + 1 < len && buf[p + 1] == '\n')))
        p += buf[p] == '\r' ? 2 : 1;

    for (;;) {
        const char *nl = memchr(buf + p, '\n', len - p);
        if (!nl) {
            if (!have_request_line && !partial_line_ok(buf + p, len - p)) return fail(req, 400);
            if (len == max) return fail(req, have_request_line ? 431 : 414);
            return HTTP_INCOMPLETE;
        }
        size_t e = (size_t)(nl - buf);
        size_t line_len = e - p;
        if (line_len && buf[e - 1] == '\r') line_len--;
        const char *line = buf + p;
        p = e + 1;

        if (!have_request_line) {
            if (request_line(line, line_len, req) == HTTP_ERROR) return HTTP_ERROR;
            have_request_line = 1;
            continue;
        }
        if (line_len == 0) {
            req->head_len = p;
            return HTTP_COMPLETE;
        }
        /* obsolete line folding (a line starting with space or tab) and
         * anything that is not name:value are refused, never guessed */
        if (!header_line_ok(line, line_len)) return fail(req, 400);
        if (++nheaders > HTTP_MAX_HEADERS) return fail(req, 431);
    }
}
