/* http_request.h -- the head of an HTTP/1.0 or 1.1 request, parsed: the
 * request line and the header lines up to the blank line. A pure core (no
 * I/O, no allocation), so the metrics listener's hardening is tested on
 * its own (test_http.c).
 *
 * Strict where leniency has been a security problem in HTTP servers:
 * whitespace between a header name and its colon, obsolete line folding,
 * control characters, a method that is not a token, or a version that is
 * not HTTP/<digit>.<digit> are refused (400); an unsupported major version
 * is 505. Lenient where it costs nothing: bare LF line ends and blank lines
 * before the request line are accepted (RFC 9112, 2.2). A head that does
 * not fit in `max` bytes is refused: 414 when the request line alone does
 * not fit, else 431. The request body, if any, is not read: the listener
 * answers and closes (Connection: close). */
#ifndef SHOAL_HTTP_REQUEST_H
#define SHOAL_HTTP_REQUEST_H

#include <stddef.h>

#define HTTP_MAX_HEADERS 64     /* header lines; more is 431 */

enum http_parse {
    HTTP_INCOMPLETE = 0,        /* need more bytes */
    HTTP_COMPLETE = 1,          /* req filled */
    HTTP_ERROR = -1,            /* answer req->status and close */
};

struct http_request {
    const char *method;         /* into the buffer, not terminated */
    size_t method_len;
    const char *path;           /* the target's path: no query, no scheme/host */
    size_t path_len;
    int version_minor;          /* HTTP/1.x */
    size_t head_len;            /* bytes up to and including the blank line */
    int status;                 /* HTTP_ERROR: 400, 414, 431 or 505 */
};

/* Parses buf[0..len) as the start of a request whose head may take at most
 * max bytes. Call again with the whole buffer after every read (a head is
 * small: parsing again from the start costs less than keeping state). */
enum http_parse http_parse_request(const char *buf, size_t len, size_t max,
                                   struct http_request *req);

#endif
