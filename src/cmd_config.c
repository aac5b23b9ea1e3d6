/* cmd_config.c -- the CONFIG command: GET, SET, RESETSTAT and HELP. Only
 * argument handling and replies live here; the directives, their parsing
 * and CONFIG SET's atomicity are config.c's. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "config.h"
#include "server.h"
#include "stats.h"

/* CONFIG GET's matches so far, without repeats. */
struct matches {
    struct {
        const char *name;   /* as replied */
        char *value;
    } *v;
    int n, cap;
    const char *exact;      /* the current argument, when it has no wildcard */
};

static void collect(const char *name, const char *value, void *ctx) {
    struct matches *m = ctx;

    /* An argument without wildcards is a name, echoed as given (Redis). */
    if (m->exact) {
        if (strcasecmp(name, m->exact) != 0) return;
    }
    for (int i = 0; i < m->n; i++)
        if (!strcasecmp(m->v[i].name, name)) return;
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->v = realloc(m->v, sizeof(*m->v) * (size_t)m->cap);
        if (!m->v) abort();
    }
    m->v[m->n].name = m->exact ? m->exact : name;
    m->v[m->n].value = strdup(value);
    if (!m->v[m->n].value) abort();
    m->n++;
}

/* CONFIG GET pattern [pattern ...] */
void cmd_config_get(struct client *c) {
    struct matches m = {0};

    for (int i = 2; i < c->argc; i++) {
        const char *pattern = c->argv[i].ptr;
        m.exact = strpbrk(pattern, "[*?") ? NULL : pattern;
        config_get(pattern, collect, &m);
    }
    reply_map(c, m.n);
    for (int i = 0; i < m.n; i++) {
        reply_bulk_cstr(c, m.v[i].name);
        reply_bulk_cstr(c, m.v[i].value);
        free(m.v[i].value);
    }
    free(m.v);
}

/* CONFIG SET name value [name value ...] */
void cmd_config_set(struct client *c) {
    char err[512];

    if (c->argc % 2 != 0) {
        reply_syntax_error(c);
        return;
    }
    int n = (c->argc - 2) / 2;
    const char **names = malloc(sizeof(*names) * (size_t)n * 2);
    if (!names) abort();
    const char **values = names + n;
    for (int i = 0; i < n; i++) {
        names[i] = c->argv[2 + 2 * i].ptr;
        values[i] = c->argv[3 + 2 * i].ptr;
    }
    if (config_set_pairs(n, names, values, err, sizeof(err)) < 0)
        reply_errorf(c, "ERR %s", err);
    else
        reply_ok(c);
    free(names);
}

/* CONFIG RESETSTAT */
void cmd_config_resetstat(struct client *c) {
    stats_reset();
    reply_ok(c);
}

/* CONFIG HELP: Redis 7.0's text. */
void cmd_config_help(struct client *c) {
    static const char *const lines[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };
    size_t n = sizeof(lines) / sizeof(lines[0]);

    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) reply_status(c, lines[i]);
}
