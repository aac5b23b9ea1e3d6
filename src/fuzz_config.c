/* fuzz_config.c -- libFuzzer target for config.c's line splitter, its
 * quoting (the command line is re-quoted and re-split), the config-file
 * loader and CONFIG SET / CONFIG GET, plus a differential check of the two
 * sdssplitargs ports (config.c's split_args and resp.c's inline parser).
 *
 * NOT part of the server: src/Makefile filters out fuzz_*.c, and
 * everything is inside #ifdef SHOAL_FUZZ as well. It #includes config.c
 * to reach its static functions (split_args, sb_add_repr, load_text,
 * render...), and stubs what config.c needs from the rest of the server
 * (serverlog, the maxmemory hooks); if config.c grows new dependencies,
 * add stubs here.
 *
 * Build and run (from src/):
 *
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -DSHOAL_FUZZ \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       -o /tmp/fuzz_config fuzz_config.c resp.c util.c glob.c
 *   mkdir -p /tmp/fuzz_config_corpus
 *   /tmp/fuzz_config -max_total_time=300 -max_len=4096 /tmp/fuzz_config_corpus
 *
 * Input: byte 0 picks the mode (mod 4), the rest is the text.
 *   0: split_args(line) must equal the inline parser's split of line+"\n"
 *      (lines without NUL/LF that do not start with '*');
 *   1: sb_add_repr(s) then split_args gives back exactly s;
 *   2: the text as a config file (no include) -- must not crash;
 *   3: NUL-separated name/value pairs to config_set_pairs; then every
 *      directive's CONFIG GET text must parse back to the same text.
 */
#ifdef SHOAL_FUZZ

#include "config.c"

#include <stdint.h>

#include "resp.h"

/* What config.c needs from the rest of the server. */
void serverlog(int level, const char *fmt, ...) {
    (void)level;
    (void)fmt;
}
void config_on_maxmemory_change(void) {}
void config_on_maxmemory_policy_change(void) {}

static void die(const char *what, const char *detail) {
    fprintf(stderr, "%s: %s\n", what, detail);
    abort();
}

static void mode_split_diff(const char *line, size_t len) {
    if (len == 0 || line[0] == '*' || memchr(line, '\n', len) || memchr(line, '\0', len)) return;
    char *z = malloc(len + 1);
    memcpy(z, line, len);
    z[len] = '\0';
    int argc = 0;
    char **argv = split_args(z, &argc);

    struct resp_parser p;
    resp_parser_init(&p);
    char *buf = malloc(len + 1);
    memcpy(buf, line, len);
    buf[len] = '\n';
    enum resp_status st = resp_parse(&p, buf, len + 1);
    int blank = 1;
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)line[i])) blank = 0;
    if (!argv && blank) {
        /* known: split_args returns NULL ("unbalanced") for a line of
         * only whitespace, e.g. "\f" -- reported, skipped here */
    } else if (!argv) {
        if (st != RESP_ERROR) die("split_args unbalanced, inline parser not", z);
    } else if (st == RESP_ERROR) {
        die("inline parser unbalanced, split_args not", z);
    } else {
        int n = st == RESP_COMMAND ? p.argc : 0;
        if (n != argc) die("argument counts differ", z);
        for (int i = 0; i < n; i++) {
            size_t alen = p.argv[i].len;
            /* split_args' strings are C strings: compare up to a NUL */
            if (strlen(argv[i]) != alen || memcmp(argv[i], p.inline_buf + p.argv[i].off, alen) != 0)
                die("arguments differ", z);
        }
    }
    if (argv) free_args(argv, argc);
    resp_parser_free(&p);
    free(buf);
    free(z);
}

static void mode_repr(const char *s, size_t len) {
    char *z = malloc(len + 1);
    memcpy(z, s, len);
    z[len] = '\0';   /* stops at the first NUL, as argv strings do */
    struct strbuf b = {0};
    sb_add_repr(&b, z);
    int argc = 0;
    char **argv = split_args(b.p, &argc);
    if (!argv) die("repr does not split", b.p);
    if (argc != 1 || strcmp(argv[0], z) != 0) die("repr round trip differs", b.p);
    free_args(argv, argc);
    free(b.p);
    free(z);
}

static void mode_file(const char *s, size_t len) {
    char *z = malloc(len + 1);
    memcpy(z, s, len);
    z[len] = '\0';
    if (strstr(z, "include") || strcasestr(z, "nclude")) {   /* no file access */
        free(z);
        return;
    }
    FILE *devnull = fopen("/dev/null", "w");
    FILE *saved = stderr;
    stderr = devnull;   /* fatal() prints Redis's block */
    load_text(z, "fuzz", 0);
    stderr = saved;
    fclose(devnull);
    free(z);
    config_init_defaults();
}

static void check_get_roundtrip(void) {
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];
        struct value cur, again;
        char err[256];
        value_current(d, &cur);
        char *text = render(d, &cur);
        if (parse_text(d, text, &again, err, sizeof(err)) < 0) {
            fprintf(stderr, "directive %s: CONFIG GET gives '%s' which CONFIG SET refuses: %s\n",
                    d->name, text, err);
            abort();
        }
        char *text2 = render(d, &again);
        if (strcmp(text, text2) != 0) {
            fprintf(stderr, "directive %s: '%s' re-parses as '%s'\n", d->name, text, text2);
            abort();
        }
        value_free(d, &again);
        free(text);
        free(text2);
    }
}

static void mode_set(const char *s, size_t len) {
    const char *names[8], *values[8];
    char *z = malloc(len + 2);
    memcpy(z, s, len);
    z[len] = '\0';
    z[len + 1] = '\0';
    int n = 0;
    char *p = z, *end = z + len;
    while (n < 8 && p < end) {
        names[n] = p;
        p += strlen(p) + 1;
        if (p > end) break;
        values[n] = p;
        p += strlen(p) + 1;
        n++;
    }
    char err[512];
    config_set_pairs(n, names, values, err, sizeof(err));
    check_get_roundtrip();
    free(z);
    config_init_defaults();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int init;
    if (!init) {
        config_init_defaults();
        init = 1;
    }
    if (size < 1) return 0;
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0: mode_split_diff(s, len); break;
    case 1: mode_repr(s, len); break;
    case 2: mode_file(s, len); break;
    case 3: mode_set(s, len); break;
    }
    return 0;
}

#else
/* Compiled into the server by src/Makefile's wildcard: nothing here. */
typedef int shoal_fuzz_config_unused;
#endif
