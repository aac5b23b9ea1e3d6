/* resp.h -- incremental parser for client requests (RESP multibulk and
 * inline commands). Pure: no I/O, no allocation of argument data.
 *
 * The caller keeps the bytes of the command being parsed contiguous in one
 * buffer and calls resp_parse() each time more arrive, passing the buffer
 * from the command's first byte. The parser remembers how far it got, so
 * no byte is scanned twice, and records arguments as offsets from the
 * command's start: the caller may move the buffer between calls. A command
 * split at any byte boundary parses exactly as if it arrived whole. */
#ifndef SHOAL_RESP_H
#define SHOAL_RESP_H

#include <stddef.h>

#define RESP_INLINE_MAX 65536     /* longest inline request / count line */
#define RESP_BIG_ARG 32768        /* bulk size from which callers pre-size */

enum resp_status {
    RESP_MORE,      /* need more bytes; see resp_parser.need */
    RESP_COMMAND,   /* a command is ready in argv; it spans pos bytes */
    RESP_EMPTY,     /* pos bytes held no command (blank line, *0) */
    RESP_ERROR,     /* protocol error; message in error */
};

struct resp_arg {
    size_t off, len;  /* from the command start, or in inline_buf */
};

struct resp_parser {
    /* limits, set by the caller */
    long long max_bulk_len;
    int auth_required;       /* Redis refuses big frames before AUTH */

    /* output */
    int argc;
    struct resp_arg *argv;
    int is_inline;           /* argv offsets point into inline_buf */
    char *inline_buf;
    size_t pos;              /* bytes consumed of the current command */
    size_t need;             /* RESP_MORE: total bytes known to be needed, or 0 */
    const char *error;       /* RESP_ERROR: the message for the client */
    char errbuf[48];

    /* state */
    int argv_cap;
    size_t inline_cap;
    long long mbulk_left;    /* arguments still to come; 0 = at the start */
    long long bulk_len;      /* -1 while reading a "$<len>" line */
};

void resp_parser_init(struct resp_parser *p);
void resp_parser_free(struct resp_parser *p);
/* Forget the command parsed so far (keeps allocations for reuse). */
void resp_parser_reset(struct resp_parser *p);
/* buf holds len bytes from the start of the current command. Bulk
 * arguments are NUL-terminated in place (the byte after each is its CR). */
enum resp_status resp_parse(struct resp_parser *p, char *buf, size_t len);

#endif
