/* config.c -- the directive table and everything it drives: defaults, the
 * config file and command line (redis.conf syntax), CONFIG GET rendering
 * and atomic CONFIG SET. See config.h for the contract and
 * redis-compat.conf for the user-facing documentation.
 *
 * A value goes through three steps everywhere: parse (text -> struct value,
 * no side effect, Redis's error text on failure), store (struct value ->
 * cfg field, cannot fail) and render (value -> CONFIG GET text). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>   /* environ */

#include "glob.h"
#include "log.h"
#include "server.h"
#include "util.h"

struct config cfg;

#define MAX_INCLUDE_DEPTH 16

/* ---- the directive table ---- */

enum type {
    T_BOOL,     /* yes/no, int field */
    T_INT,      /* decimal (Redis's string2ll), int field */
    T_OCTAL,    /* octal, unsigned int field */
    T_MEMORY,   /* bytes with k/kb/m/mb/g/gb units, 64-bit field */
    T_ENUM,     /* one name of enums, int field */
    T_STRING,   /* char * field */
    T_BIND,     /* the bind list: cfg.bind / cfg.bind_count */
};

enum {
    F_IMMUTABLE = 1 << 0,   /* CONFIG SET refuses it, as Redis does */
    F_RESTART = 1 << 1,     /* Redis can change it at run time, shoal cannot:
                             * CONFIG SET accepts only the current value */
    F_EMPTY_NULL = 1 << 2,  /* T_STRING: "" is stored as NULL */
};

struct enum_name {
    const char *name;
    int value;
};

struct directive {
    const char *name;
    const char *alias;                  /* another name for it, or NULL */
    enum type type;
    unsigned flags;                     /* F_* */
    void *field;                        /* in cfg */
    const char *def;                    /* default, as CONFIG SET takes it */
    unsigned long long min, max;        /* numbers: accepted range */
    unsigned long long clamp_lo, clamp_hi; /* then kept in this range
                                         * (Redis's hz; int fields), if hi */
    const struct enum_name *enums;      /* T_ENUM, NULL-terminated */
    void (*on_change)(void);            /* after CONFIG SET changed it */
};

/* In Redis's order, which its error message lists. */
static const struct enum_name policy_names[] = {
    {"volatile-lru", MAXMEMORY_VOLATILE_LRU},
    {"volatile-lfu", MAXMEMORY_VOLATILE_LFU},
    {"volatile-random", MAXMEMORY_VOLATILE_RANDOM},
    {"volatile-ttl", MAXMEMORY_VOLATILE_TTL},
    {"allkeys-lru", MAXMEMORY_ALLKEYS_LRU},
    {"allkeys-lfu", MAXMEMORY_ALLKEYS_LFU},
    {"allkeys-random", MAXMEMORY_ALLKEYS_RANDOM},
    {"noeviction", MAXMEMORY_NOEVICTION},
    {NULL, 0},
};

static const struct enum_name loglevel_names[] = {
    {"debug", LL_DEBUG},
    {"verbose", LL_VERBOSE},
    {"notice", LL_NOTICE},
    {"warning", LL_WARNING},
    {"nothing", LL_NOTHING},
    {NULL, 0},
};

static const struct enum_name cluster_mode_names[] = {
    {"proxy", CLUSTER_MODE_PROXY},
    {"redirect", CLUSTER_MODE_REDIRECT},
    {NULL, 0},
};

static const struct directive directives[] = {
    {.name = "bind", .type = T_BIND, .flags = F_RESTART, .def = "* -::*"},
    {.name = "port", .type = T_INT, .flags = F_RESTART, .field = &cfg.port,
     .def = "6379", .min = 0, .max = 65535},
    {.name = "unixsocket", .type = T_STRING, .flags = F_IMMUTABLE | F_EMPTY_NULL,
     .field = &cfg.unixsocket, .def = ""},
    {.name = "unixsocketperm", .type = T_OCTAL, .flags = F_IMMUTABLE,
     .field = &cfg.unixsocketperm, .def = "0", .min = 0, .max = 0777},
    {.name = "protected-mode", .type = T_BOOL, .field = &cfg.protected_mode, .def = "yes"},
    {.name = "tcp-backlog", .type = T_INT, .flags = F_IMMUTABLE, .field = &cfg.tcp_backlog,
     .def = "511", .min = 0, .max = INT_MAX},
    {.name = "tcp-keepalive", .type = T_INT, .field = &cfg.tcp_keepalive,
     .def = "300", .min = 0, .max = INT_MAX},
    {.name = "timeout", .type = T_INT, .field = &cfg.timeout, .def = "0", .min = 0, .max = INT_MAX},
    {.name = "requirepass", .type = T_STRING, .flags = F_EMPTY_NULL,
     .field = &cfg.requirepass, .def = ""},
    {.name = "maxclients", .type = T_INT, .field = &cfg.maxclients, .def = "10000",
     .min = 1, .max = UINT_MAX, .clamp_lo = 1, .clamp_hi = INT_MAX},
    {.name = "proto-max-bulk-len", .type = T_MEMORY, .field = &cfg.proto_max_bulk_len,
     .def = "512mb", .min = 1024 * 1024, .max = LLONG_MAX},
    {.name = "client-query-buffer-limit", .type = T_MEMORY,
     .field = &cfg.client_query_buffer_limit, .def = "1gb", .min = 1024 * 1024, .max = LLONG_MAX},
    {.name = "maxmemory", .type = T_MEMORY, .field = &cfg.maxmemory, .def = "0",
     .min = 0, .max = ULLONG_MAX, .on_change = config_on_maxmemory_change},
    {.name = "maxmemory-policy", .type = T_ENUM, .field = &cfg.maxmemory_policy,
     .def = "noeviction", .enums = policy_names, .on_change = config_on_maxmemory_policy_change},
    {.name = "maxmemory-samples", .type = T_INT, .field = &cfg.maxmemory_samples,
     .def = "5", .min = 1, .max = INT_MAX},
    {.name = "databases", .type = T_INT, .flags = F_IMMUTABLE, .field = &cfg.databases,
     .def = "16", .min = 1, .max = INT_MAX},
    {.name = "hz", .type = T_INT, .field = &cfg.hz, .def = "10", .min = 0, .max = INT_MAX,
     .clamp_lo = 1, .clamp_hi = 500},
    {.name = "loglevel", .type = T_ENUM, .field = &cfg.loglevel, .def = "notice",
     .enums = loglevel_names},
    {.name = "logfile", .type = T_STRING, .flags = F_IMMUTABLE, .field = &cfg.logfile, .def = ""},
    {.name = "pidfile", .type = T_STRING, .flags = F_IMMUTABLE | F_EMPTY_NULL,
     .field = &cfg.pidfile, .def = ""},
    {.name = "daemonize", .type = T_BOOL, .flags = F_IMMUTABLE, .field = &cfg.daemonize, .def = "no"},
    {.name = "threads", .alias = "io-threads", .type = T_INT, .flags = F_IMMUTABLE,
     .field = &cfg.threads, .def = "0", .min = 0, .max = 128},
    {.name = "cgroup-root", .type = T_STRING, .flags = F_IMMUTABLE | F_EMPTY_NULL,
     .field = &cfg.cgroup_root, .def = "/sys/fs/cgroup"},
    {.name = "shutdown-timeout", .type = T_INT, .field = &cfg.shutdown_timeout, .def = "10",
     .min = 0, .max = INT_MAX},
    {.name = "cluster-enabled", .type = T_BOOL, .flags = F_IMMUTABLE,
     .field = &cfg.cluster_enabled, .def = "no"},
    {.name = "cluster-port", .type = T_INT, .flags = F_IMMUTABLE, .field = &cfg.cluster_port,
     .def = "0", .min = 0, .max = 65535},
    {.name = "cluster-name", .type = T_STRING, .flags = F_IMMUTABLE,
     .field = &cfg.cluster_name, .def = "shoal"},
    {.name = "cluster-seeds", .type = T_STRING, .flags = F_IMMUTABLE | F_EMPTY_NULL,
     .field = &cfg.cluster_seeds, .def = ""},
    {.name = "cluster-probe-interval", .type = T_INT, .flags = F_IMMUTABLE,
     .field = &cfg.cluster_probe_interval, .def = "1000", .min = 10, .max = 60000},
    {.name = "cluster-indirect-checks", .type = T_INT, .flags = F_IMMUTABLE,
     .field = &cfg.cluster_indirect_checks, .def = "3", .min = 0, .max = 16},
    {.name = "cluster-announce-ip", .type = T_STRING, .flags = F_RESTART | F_EMPTY_NULL,
     .field = &cfg.cluster_announce_ip, .def = ""},
    {.name = "cluster-announce-port", .type = T_INT, .flags = F_RESTART,
     .field = &cfg.cluster_announce_port, .def = "0", .min = 0, .max = 65535},
    {.name = "cluster-leave-timeout", .type = T_INT, .field = &cfg.cluster_leave_timeout,
     .def = "2000", .min = 0, .max = 60000},
    {.name = "cluster-mode", .type = T_ENUM, .flags = F_IMMUTABLE, .field = &cfg.cluster_mode,
     .def = "proxy", .enums = cluster_mode_names},
    {.name = "cluster-forward-timeout", .type = T_INT, .field = &cfg.cluster_forward_timeout,
     .def = "1000", .min = 1, .max = 3600000},
    {.name = "cluster-forward-buffer-limit", .type = T_MEMORY,
     .field = &cfg.cluster_forward_buffer_limit, .def = "64mb", .min = 64 * 1024, .max = LLONG_MAX},
    {.name = "cluster-secret", .type = T_STRING, .flags = F_EMPTY_NULL,
     .field = &cfg.cluster_secret, .def = ""},
    {.name = "masterauth", .type = T_STRING, .flags = F_EMPTY_NULL, .field = &cfg.masterauth,
     .def = ""},
    {.name = "metrics-port", .type = T_INT, .flags = F_IMMUTABLE, .field = &cfg.metrics_port,
     .def = "0", .min = 0, .max = 65535},
    {.name = "metrics-bind", .type = T_STRING, .flags = F_IMMUTABLE, .field = &cfg.metrics_bind,
     .def = "127.0.0.1"},
};

#define NDIRECTIVES (sizeof(directives) / sizeof(directives[0]))

/* Every other name Redis 7.0.15's CONFIG GET/SET knows (CONFIG GET * plus
 * its hidden ones): accepted in files and by CONFIG SET, then ignored. */
static const char *const ignored_configs[] = {
    "acl-pubsub-default", "aclfile", "acllog-max-len", "active-defrag-cycle-max",
    "active-defrag-cycle-min", "active-defrag-ignore-bytes", "active-defrag-max-scan-fields",
    "active-defrag-threshold-lower", "active-defrag-threshold-upper", "active-expire-effort",
    "activedefrag", "activerehashing", "always-show-logo", "aof-disable-auto-gc",
    "aof-load-truncated", "aof-rewrite-incremental-fsync", "aof-timestamp-enabled",
    "aof-use-rdb-preamble", "aof_rewrite_cpulist", "appenddirname", "appendfilename",
    "appendfsync", "appendonly", "auto-aof-rewrite-min-size", "auto-aof-rewrite-percentage",
    "bgsave_cpulist", "bind-source-addr", "bio_cpulist", "busy-reply-threshold",
    "client-output-buffer-limit", "cluster-allow-pubsubshard-when-down",
    "cluster-allow-reads-when-down", "cluster-allow-replica-migration",
    "cluster-announce-bus-port", "cluster-announce-hostname", "cluster-announce-tls-port",
    "cluster-config-file", "cluster-link-sendbuf-limit", "cluster-migration-barrier",
    "cluster-node-timeout", "cluster-preferred-endpoint-type",
    "cluster-replica-no-failover", "cluster-replica-validity-factor",
    "cluster-require-full-coverage", "cluster-slave-no-failover",
    "cluster-slave-validity-factor", "crash-log-enabled", "crash-memcheck-enabled",
    "dbfilename", "dir", "disable-thp", "dynamic-hz", "enable-debug-command",
    "enable-module-command", "enable-protected-configs", "hash-max-listpack-entries",
    "hash-max-listpack-value", "hash-max-ziplist-entries", "hash-max-ziplist-value",
    "hll-sparse-max-bytes", "ignore-warnings", "io-threads-do-reads", "jemalloc-bg-thread",
    "key-load-delay", "latency-monitor-threshold", "latency-tracking",
    "latency-tracking-info-percentiles", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
    "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
    "lfu-decay-time", "lfu-log-factor", "list-compress-depth", "list-max-listpack-size",
    "list-max-ziplist-size", "loading-process-events-interval-bytes",
    "lua-enable-deprecated-api", "lua-time-limit", "masteruser",
    "maxmemory-clients", "maxmemory-eviction-tenacity", "min-replicas-max-lag",
    "min-replicas-to-write", "min-slaves-max-lag", "min-slaves-to-write",
    "no-appendfsync-on-rewrite", "notify-keyspace-events", "oom-score-adj",
    "oom-score-adj-values", "proc-title-template", "propagation-error-behavior",
    "rdb-del-sync-files", "rdb-key-save-delay", "rdb-save-incremental-fsync", "rdbchecksum",
    "rdbcompression", "repl-backlog-size", "repl-backlog-ttl", "repl-disable-tcp-nodelay",
    "repl-diskless-load", "repl-diskless-sync", "repl-diskless-sync-delay",
    "repl-diskless-sync-max-replicas", "repl-ping-replica-period", "repl-ping-slave-period",
    "repl-timeout", "replica-announce-ip", "replica-announce-port", "replica-announced",
    "replica-ignore-disk-write-errors", "replica-ignore-maxmemory", "replica-lazy-flush",
    "replica-priority", "replica-read-only", "replica-serve-stale-data", "replicaof",
    "sanitize-dump-payload", "save", "server_cpulist", "set-max-intset-entries",
    "set-proc-title", "shutdown-on-sigint", "shutdown-on-sigterm",
    "slave-announce-ip", "slave-announce-port", "slave-ignore-maxmemory", "slave-lazy-flush",
    "slave-priority", "slave-read-only", "slave-serve-stale-data", "slaveof",
    "slowlog-log-slower-than", "slowlog-max-len", "socket-mark-id",
    "stop-writes-on-bgsave-error", "stream-node-max-bytes", "stream-node-max-entries",
    "supervised", "syslog-enabled", "syslog-facility", "syslog-ident", "tls-auth-clients",
    "tls-ca-cert-dir", "tls-ca-cert-file", "tls-cert-file", "tls-ciphers", "tls-ciphersuites",
    "tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass", "tls-cluster",
    "tls-dh-params-file", "tls-key-file", "tls-key-file-pass", "tls-port",
    "tls-prefer-server-ciphers", "tls-protocols", "tls-replication", "tls-session-cache-size",
    "tls-session-cache-timeout", "tls-session-caching", "tracking-table-max-keys",
    "use-exit-on-panic", "watchdog-period", "zset-max-listpack-entries",
    "zset-max-listpack-value", "zset-max-ziplist-entries", "zset-max-ziplist-value",
};

/* Directives Redis takes only in files (CONFIG SET does not know them),
 * with the argument counts (directive included) Redis requires. */
static const struct {
    const char *name;
    int argc_min, argc_max;
    const char *bad_argc;   /* Redis's error when argc is out of range */
    const char *note;       /* appended to the warning */
} ignored_file_only[] = {
    {"rename-command", 3, 3, NULL, "; every command keeps its name"},
    {"user", 2, INT_MAX, NULL, "; ACL users are not created, only requirepass applies"},
    {"loadmodule", 2, INT_MAX, NULL, ""},
    {"sentinel", 1, 1, "sentinel directive while not in sentinel mode", ""},
    {"list-max-ziplist-entries", 2, 2, NULL, ""},
    {"list-max-ziplist-value", 2, 2, NULL, ""},
    {"lua-replicate-commands", 2, 2, NULL, ""},
};

#define NFILE_ONLY (sizeof(ignored_file_only) / sizeof(ignored_file_only[0]))


/* ---- small helpers ---- */

static char *xstrdup(const char *s) {
    char *p = strdup(s);
    if (!p) abort();
    return p;
}

/* A growing string. */
struct strbuf {
    char *p;
    size_t len, cap;
};

static void sb_add(struct strbuf *b, const char *s, size_t len) {
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + len + 1) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) abort();
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void sb_addc(struct strbuf *b, char c) {
    sb_add(b, &c, 1);
}

static void sb_adds(struct strbuf *b, const char *s) {
    sb_add(b, s, strlen(s));
}

/* Where each directive's value came from (config_source); NULL = the
 * default. While a file, the environment or the command line is loaded,
 * loading_source names it. */
static const char *sources[NDIRECTIVES];
static const char *loading_source = "file";

/* The directive called name (or by its alias); *as gets the table's
 * spelling of the name used. NULL if none. */
static const struct directive *lookup(const char *name, const char **as) {
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];
        if (!strcasecmp(name, d->name)) {
            *as = d->name;
            return d;
        }
        if (d->alias && !strcasecmp(name, d->alias)) {
            *as = d->alias;
            return d;
        }
    }
    return NULL;
}

/* The table's spelling of an ignored Redis config, or NULL. */
static const char *ignored_config(const char *name) {
    for (size_t i = 0; i < sizeof(ignored_configs) / sizeof(ignored_configs[0]); i++)
        if (!strcasecmp(name, ignored_configs[i])) return ignored_configs[i];
    return NULL;
}

/* ---- values: parse, store, render ---- */

/* A directive's value between parsing and storing. */
struct value {
    unsigned long long num;             /* T_BOOL, T_INT, T_OCTAL, T_MEMORY, T_ENUM */
    char *str;                          /* T_STRING, NULL = unset */
    char *list[CONFIG_MAX_BIND];        /* T_BIND */
    int count;
};

static void value_free(const struct directive *d, struct value *v) {
    if (d->type == T_STRING) free(v->str);
    if (d->type == T_BIND)
        for (int i = 0; i < v->count; i++) free(v->list[i]);
    memset(v, 0, sizeof(*v));
}

/* Redis's memtoull: digits then an optional unit (b, k=1000, kb=1024, m,
 * mb, g, gb, any case); no sign, spaces or fractions. An overflow is an
 * error here (Redis wraps). */
static int parse_memory(const char *s, unsigned long long *out) {
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {
        {"", 1}, {"b", 1}, {"k", 1000}, {"kb", 1024}, {"m", 1000 * 1000},
        {"mb", 1024 * 1024}, {"g", 1000 * 1000 * 1000}, {"gb", 1024 * 1024 * 1024},
    };
    const char *u = s;
    unsigned long long v = 0, mul = 0;

    while (*u >= '0' && *u <= '9') u++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcasecmp(u, units[i].unit)) mul = units[i].mul;
    if (!mul) return -1;
    for (const char *p = s; p < u; p++) {
        unsigned digit = (unsigned)(*p - '0');
        if (v > (ULLONG_MAX - digit) / 10) return -1;
        v = v * 10 + digit;
    }
    if (v > ULLONG_MAX / mul) return -1;
    *out = v * mul;
    return 0;
}

static int parse_number(const struct directive *d, const char *s, unsigned long long *out,
                        char *err, size_t errlen) {
    if (d->type == T_MEMORY) {
        if (parse_memory(s, out) < 0) {
            snprintf(err, errlen, "argument must be a memory value");
            return -1;
        }
    } else if (d->type == T_OCTAL) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 8);
        if (errno || *end != '\0') {
            snprintf(err, errlen, "argument couldn't be parsed as an octal number");
            return -1;
        }
        *out = (unsigned long long)v;   /* a negative one fails the range check */
    } else {
        long long v;
        if (!string2ll(s, strlen(s), &v)) {
            snprintf(err, errlen, "argument couldn't be parsed into an integer");
            return -1;
        }
        *out = v < 0 ? ULLONG_MAX : (unsigned long long)v; /* every min is >= 0 */
    }
    if (*out < d->min || *out > d->max) {
        snprintf(err, errlen,
                 d->type == T_OCTAL ? "argument must be between %llo and %llo inclusive"
                                    : "argument must be between %llu and %llu inclusive",
                 d->min, d->max);
        return -1;
    }
    if (d->clamp_hi) {
        if (*out < d->clamp_lo) *out = d->clamp_lo;
        if (*out > d->clamp_hi) *out = d->clamp_hi;
    }
    return 0;
}

static int parse_enum(const struct directive *d, const char *s, unsigned long long *out,
                      char *err, size_t errlen) {
    struct strbuf names = {0};
    for (const struct enum_name *e = d->enums; e->name; e++) {
        if (!strcasecmp(s, e->name)) {
            *out = (unsigned long long)e->value;
            free(names.p);
            return 0;
        }
        if (names.len) sb_adds(&names, ", ");
        sb_adds(&names, e->name);
    }
    snprintf(err, errlen, "argument(s) must be one of the following: %s", names.p);
    free(names.p);
    return -1;
}

/* The bind list from its arguments; a single "" means no address. */
static int parse_bind(int argc, char **argv, struct value *v, char *err, size_t errlen) {
    if (argc > CONFIG_MAX_BIND) {
        snprintf(err, errlen, "Too many bind addresses specified.");
        return -1;
    }
    if (argc == 1 && argv[0][0] == '\0') argc = 0;
    for (int i = 0; i < argc; i++) v->list[i] = xstrdup(argv[i]);
    v->count = argc;
    return 0;
}

/* A single-argument directive's value. */
static int parse_scalar(const struct directive *d, const char *s, struct value *v,
                        char *err, size_t errlen) {
    switch (d->type) {
    case T_BOOL:
        if (!strcasecmp(s, "yes")) v->num = 1;
        else if (!strcasecmp(s, "no")) v->num = 0;
        else {
            snprintf(err, errlen, "argument must be 'yes' or 'no'");
            return -1;
        }
        return 0;
    case T_ENUM:
        return parse_enum(d, s, &v->num, err, errlen);
    case T_INT:
    case T_OCTAL:
    case T_MEMORY:
        return parse_number(d, s, &v->num, err, errlen);
    case T_STRING:
        v->str = (s[0] == '\0' && (d->flags & F_EMPTY_NULL)) ? NULL : xstrdup(s);
        return 0;
    case T_BIND:
        break;
    }
    abort();
}

/* A value given as one string, as CONFIG SET and the defaults give it: the
 * bind list is split at spaces. */
static int parse_text(const struct directive *d, const char *text, struct value *v,
                      char *err, size_t errlen) {
    memset(v, 0, sizeof(*v));
    if (d->type != T_BIND) return parse_scalar(d, text, v, err, errlen);

    char *copy = xstrdup(text), *words[CONFIG_MAX_BIND + 1], *save = NULL;
    int n = 0;
    for (char *w = strtok_r(copy, " ", &save); w && n <= CONFIG_MAX_BIND;
         w = strtok_r(NULL, " ", &save))
        words[n++] = w;
    int rc = parse_bind(n, words, v, err, errlen);
    free(copy);
    return rc;
}

/* The current value, borrowing the field's strings (do not free). */
static void value_current(const struct directive *d, struct value *v) {
    memset(v, 0, sizeof(*v));
    switch (d->type) {
    case T_BOOL:
    case T_INT:
    case T_ENUM: {
        int i;
        memcpy(&i, d->field, sizeof(i));
        v->num = (unsigned long long)i;
        break;
    }
    case T_OCTAL: {
        unsigned int u;
        memcpy(&u, d->field, sizeof(u));
        v->num = u;
        break;
    }
    case T_MEMORY:
        memcpy(&v->num, d->field, sizeof(v->num));
        break;
    case T_STRING:
        memcpy(&v->str, d->field, sizeof(v->str));
        break;
    case T_BIND:
        memcpy(v->list, cfg.bind, sizeof(cfg.bind));
        v->count = cfg.bind_count;
        break;
    }
}

/* The value as CONFIG GET shows it (malloc'd). */
static char *render(const struct directive *d, const struct value *v) {
    char buf[32];
    switch (d->type) {
    case T_BOOL:
        return xstrdup(v->num ? "yes" : "no");
    case T_INT:
    case T_MEMORY:
        snprintf(buf, sizeof(buf), "%llu", v->num);
        return xstrdup(buf);
    case T_OCTAL:
        snprintf(buf, sizeof(buf), "%llo", v->num);
        return xstrdup(buf);
    case T_ENUM:
        for (const struct enum_name *e = d->enums; e->name; e++)
            if ((unsigned long long)e->value == v->num) return xstrdup(e->name);
        return xstrdup("unknown");
    case T_STRING:
        return xstrdup(v->str ? v->str : "");
    case T_BIND: {
        struct strbuf b = {0};
        sb_adds(&b, "");
        for (int i = 0; i < v->count; i++) {
            if (i) sb_addc(&b, ' ');
            sb_adds(&b, v->list[i]);
        }
        return b.p;
    }
    }
    abort();
}

/* Moves v into the field, freeing what it replaces (v is left empty).
 * Returns whether the value changed. */
static int store(const struct directive *d, struct value *v) {
    struct value old;
    int changed;

    value_current(d, &old);
    switch (d->type) {
    case T_BOOL:
    case T_INT:
    case T_ENUM: {
        int i = (int)v->num;
        changed = old.num != v->num;
        memcpy(d->field, &i, sizeof(i));
        break;
    }
    case T_OCTAL: {
        unsigned int u = (unsigned int)v->num;
        changed = old.num != v->num;
        memcpy(d->field, &u, sizeof(u));
        break;
    }
    case T_MEMORY:
        changed = old.num != v->num;
        memcpy(d->field, &v->num, sizeof(v->num));
        break;
    case T_STRING:
        changed = (old.str == NULL) != (v->str == NULL) ||
                  (old.str && strcmp(old.str, v->str) != 0);
        free(old.str);
        memcpy(d->field, &v->str, sizeof(v->str));
        break;
    case T_BIND:
        changed = old.count != v->count;
        for (int i = 0; i < old.count; i++) {
            if (!changed && strcmp(old.list[i], v->list[i]) != 0) changed = 1;
            free(old.list[i]);
        }
        memset(cfg.bind, 0, sizeof(cfg.bind));
        memcpy(cfg.bind, v->list, sizeof(v->list[0]) * (size_t)v->count);
        cfg.bind_count = v->count;
        break;
    default:
        abort();
    }
    memset(v, 0, sizeof(*v));
    return changed;
}

void config_init_defaults(void) {
    char err[256];
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        struct value v;
        if (parse_text(&directives[i], directives[i].def, &v, err, sizeof(err)) < 0) abort();
        store(&directives[i], &v);
        sources[i] = NULL;
    }
    free(cfg.config_file);
    cfg.config_file = NULL;
}

/* ---- the config file and the command line ---- */

/* Splits a line into arguments as Redis's sdssplitargs does: spaces
 * separate; "double quotes" take \n \r \t \b \a \xHH and \<any>; 'single
 * quotes' take \'; a closing quote must end the argument. Returns a
 * malloc'd vector of malloc'd strings, or NULL on unbalanced quotes. */
static char **split_args(const char *p, int *argc) {
    char **v = NULL;
    int n = 0;

    for (;;) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;

        struct strbuf cur = {0};
        int inq = 0, insq = 0, done = 0;
        sb_adds(&cur, "");
        while (!done) {
            if (inq) {
                if (p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
                    isxdigit((unsigned char)p[3])) {
                    char hex[3] = {p[2], p[3], '\0'};
                    sb_addc(&cur, (char)strtol(hex, NULL, 16));
                    p += 3;
                } else if (p[0] == '\\' && p[1]) {
                    p++;
                    switch (*p) {
                    case 'n': sb_addc(&cur, '\n'); break;
                    case 'r': sb_addc(&cur, '\r'); break;
                    case 't': sb_addc(&cur, '\t'); break;
                    case 'b': sb_addc(&cur, '\b'); break;
                    case 'a': sb_addc(&cur, '\a'); break;
                    default: sb_addc(&cur, *p); break;
                    }
                } else if (*p == '"') {
                    if (p[1] && !isspace((unsigned char)p[1])) goto unbalanced;
                    done = 1;
                } else if (!*p) {
                    goto unbalanced;
                } else {
                    sb_addc(&cur, *p);
                }
            } else if (insq) {
                if (p[0] == '\\' && p[1] == '\'') {
                    p++;
                    sb_addc(&cur, '\'');
                } else if (*p == '\'') {
                    if (p[1] && !isspace((unsigned char)p[1])) goto unbalanced;
                    done = 1;
                } else if (!*p) {
                    goto unbalanced;
                } else {
                    sb_addc(&cur, *p);
                }
            } else {
                switch (*p) {
                case ' ': case '\n': case '\r': case '\t': case '\0': done = 1; break;
                case '"': inq = 1; break;
                case '\'': insq = 1; break;
                default: sb_addc(&cur, *p); break;
                }
            }
            if (*p) p++;
        }
        v = realloc(v, sizeof(*v) * (size_t)(n + 1));
        if (!v) abort();
        v[n++] = cur.p;
        continue;

unbalanced:
        free(cur.p);
        for (int i = 0; i < n; i++) free(v[i]);
        free(v);
        return NULL;
    }
    /* a line of only white space is no error: an empty vector, not NULL */
    if (!v && !(v = malloc(sizeof(*v)))) abort();
    *argc = n;
    return v;
}

static void free_args(char **argv, int argc) {
    for (int i = 0; i < argc; i++) free(argv[i]);
    free(argv);
}

/* Appends s quoted as Redis's sdscatrepr does. */
static void sb_add_repr(struct strbuf *b, const char *s) {
    sb_addc(b, '"');
    for (; *s; s++) {
        char esc[8];
        switch (*s) {
        case '\\': sb_adds(b, "\\\\"); break;
        case '"': sb_adds(b, "\\\""); break;
        case '\n': sb_adds(b, "\\n"); break;
        case '\r': sb_adds(b, "\\r"); break;
        case '\t': sb_adds(b, "\\t"); break;
        case '\a': sb_adds(b, "\\a"); break;
        case '\b': sb_adds(b, "\\b"); break;
        default:
            if (isprint((unsigned char)*s)) {
                sb_addc(b, *s);
            } else {
                snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)*s);
                sb_adds(b, esc);
            }
        }
    }
    sb_addc(b, '"');
}

/* Prints Redis's fatal block; returns -1. */
static int fatal(const char *where, int lineno, const char *line, const char *reason) {
    fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", REDIS_COMPAT_VERSION);
    fprintf(stderr, "Reading the configuration file, at line %d (%s)\n", lineno, where);
    fprintf(stderr, ">>> '%s'\n", line);
    fprintf(stderr, "%s\n", reason);
    return -1;
}

static int load_text(char *text, const char *where, int depth);

/* Loads one file; -1 (already reported) on error. */
static int load_file(const char *path, int depth) {
    FILE *fp = fopen(path, "r");
    if (!fp) {
        serverlog(LL_WARNING, "Fatal error, can't open config file '%s': %s", path,
                  strerror(errno));
        return -1;
    }
    struct strbuf text = {0};
    char chunk[4096];
    size_t n;
    sb_adds(&text, "");
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) sb_add(&text, chunk, n);
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        serverlog(LL_WARNING, "Fatal error, can't read config file '%s'", path);
        free(text.p);
        return -1;
    }
    int rc = load_text(text.p, path, depth);
    free(text.p);
    return rc;
}

/* "include": a file, or every file a glob pattern matches (none is fine). */
static int load_include(const char *pattern, int depth) {
    if (!strpbrk(pattern, "*?[")) return load_file(pattern, depth);

    glob_t g;
    int rc = 0;
    if (glob(pattern, 0, NULL, &g) != 0) return 0;
    for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) rc = load_file(g.gl_pathv[i], depth);
    globfree(&g);
    return rc;
}

static void warn_ignored(const char *name, const char *where, int lineno, const char *note) {
    serverlog(LL_WARNING, "Ignoring '%s' (%s, line %d): directive not implemented by shoal%s",
              name, where, lineno, note);
}

/* Runs one split line. Returns 0, -1 with the reason in err, or -2 when
 * the error was already reported (inside an included file). */
static int run_directive(int argc, char **argv, const char *where, int lineno, int depth,
                         char *err, size_t errlen) {
    const char *as;
    const struct directive *d;

    for (char *p = argv[0]; *p; p++) *p = (char)tolower((unsigned char)*p);

    if ((d = lookup(argv[0], &as))) {
        struct value v = {0};
        if (d->type != T_BIND && argc != 2) {
            snprintf(err, errlen, "wrong number of arguments");
            return -1;
        }
        int rc = d->type == T_BIND ? parse_bind(argc - 1, argv + 1, &v, err, errlen)
                                   : parse_scalar(d, argv[1], &v, err, errlen);
        if (rc < 0) return -1;
        store(d, &v);
        sources[d - directives] = loading_source;
        return 0;
    }
    if (!strcmp(argv[0], "include") && argc == 2) {
        if (depth >= MAX_INCLUDE_DEPTH) {
            snprintf(err, errlen, "include nested more than %d levels deep", MAX_INCLUDE_DEPTH);
            return -1;
        }
        return load_include(argv[1], depth + 1) < 0 ? -2 : 0;
    }
    for (size_t i = 0; i < NFILE_ONLY; i++) {
        if (strcmp(argv[0], ignored_file_only[i].name) != 0) continue;
        if (argc < ignored_file_only[i].argc_min || argc > ignored_file_only[i].argc_max) {
            snprintf(err, errlen, "%s",
                     ignored_file_only[i].bad_argc ? ignored_file_only[i].bad_argc
                                                   : "Bad directive or wrong number of arguments");
            return -1;
        }
        warn_ignored(argv[0], where, lineno, ignored_file_only[i].note);
        return 0;
    }
    if (ignored_config(argv[0])) {
        warn_ignored(argv[0], where, lineno, "");
        return 0;
    }
    if (strchr(argv[0], '.')) {     /* a module's config, as Redis queues them */
        if (argc != 2) {
            snprintf(err, errlen, "Module config specified without value");
            return -1;
        }
        warn_ignored(argv[0], where, lineno, "; modules are not supported");
        return 0;
    }
    snprintf(err, errlen, "Bad directive or wrong number of arguments");
    return -1;
}

/* Trims " \t\r\n" at both ends, in place. */
static char *trim(char *s) {
    size_t len;
    while (*s && strchr(" \t\r\n", *s)) s++;
    len = strlen(s);
    while (len && strchr(" \t\r\n", s[len - 1])) s[--len] = '\0';
    return s;
}

/* Loads directives from text, one per line; where names the source in
 * messages. -1 (already reported) on error. */
static int load_text(char *text, const char *where, int depth) {
    char *next = text;
    for (int lineno = 1; next; lineno++) {
        char *line = next, *nl = strchr(line, '\n');
        char err[512];
        int argc, rc;

        if (nl) *nl = '\0';
        next = nl ? nl + 1 : NULL;
        line = trim(line);
        if (line[0] == '#' || line[0] == '\0') continue;

        char **argv = split_args(line, &argc);
        if (!argv) return fatal(where, lineno, line, "Unbalanced quotes in configuration line");
        rc = argc ? run_directive(argc, argv, where, lineno, depth, err, sizeof(err)) : 0;
        free_args(argv, argc);
        if (rc == -1) return fatal(where, lineno, line, err);
        if (rc < 0) return -1;
    }
    return 0;
}

/* The command line options as redis-server turns them into config lines:
 * "--name" starts a line, other arguments are appended quoted; the first
 * value after a bare "--name" may itself start with "--"; "--save" with
 * no value means save "". */
static char *options_text(int argc, char **argv) {
    struct strbuf b = {0};
    int have_value = 1;  /* the last directive has its first value */

    sb_adds(&b, "");
    for (int i = 0; i < argc; i++) {
        if (!(have_value && argv[i][0] == '-' && argv[i][1] == '-')) {
            sb_add_repr(&b, argv[i]);
            sb_addc(&b, ' ');
            have_value = 1;
            continue;
        }
        int n = 0;
        char **words = split_args(argv[i], &n);
        if (words) free_args(words, n);
        if (b.len) sb_addc(&b, '\n');
        sb_adds(&b, argv[i] + 2);
        sb_addc(&b, ' ');
        have_value = n != 1;   /* "--port 6380" as one argument has its value */
        if (n == 1 && !strcasecmp(argv[i], "--save") &&
            (i == argc - 1 || (argv[i + 1][0] == '-' && argv[i + 1][1] == '-'))) {
            sb_adds(&b, "\"\"");
            have_value = 1;
        }
    }
    return b.p;
}

/* ---- the environment ---- */

#define ENV_PREFIX "SHOAL_"
#define ENV_PREFIX_LEN (sizeof(ENV_PREFIX) - 1)
#define ENV_NAME_MAX 128

/* A directive's variable: SHOAL_ then the name in upper case, '-' as '_'. */
static void env_var_name(const char *name, char out[ENV_NAME_MAX]) {
    size_t n = ENV_PREFIX_LEN;
    memcpy(out, ENV_PREFIX, n);
    for (; *name && n < ENV_NAME_MAX - 1; name++)
        out[n++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
    out[n] = '\0';
}

/* Whether var is the variable of a directive or of its alias. */
static int env_var_known(const char *var) {
    char want[ENV_NAME_MAX];
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        env_var_name(directives[i].name, want);
        if (!strcmp(var, want)) return 1;
        if (directives[i].alias) {
            env_var_name(directives[i].alias, want);
            if (!strcmp(var, want)) return 1;
        }
    }
    return 0;
}

/* Redis's fatal block, naming the variable; returns -1. */
static int fatal_env(const char *var, const char *value, const char *reason) {
    fprintf(stderr, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", REDIS_COMPAT_VERSION);
    fprintf(stderr, "Reading the environment, variable %s\n", var);
    fprintf(stderr, ">>> '%s=%s'\n", var, value);
    fprintf(stderr, "%s\n", reason);
    return -1;
}

/* Runs one variable as the directive d's line: a single-value directive
 * takes the value as it is (spaces, quotes and all: nothing to escape in a
 * password), a multi-value one (bind) the value split as a config-file
 * line is. -1 (reported) on a bad value. */
static int load_env_var(const struct directive *d, const char *var, const char *value) {
    char err[512];
    int n = 1;
    char **words;

    if (d->type == T_BIND) {
        if (!(words = split_args(value, &n)))
            return fatal_env(var, value, "Unbalanced quotes in configuration line");
    } else {
        if (!(words = malloc(sizeof(*words)))) abort();
        words[0] = xstrdup(value);
    }
    char **argv = malloc(sizeof(*argv) * (size_t)(n + 1));
    if (!argv) abort();
    argv[0] = xstrdup(d->name);
    if (n > 0) memcpy(argv + 1, words, sizeof(*words) * (size_t)n);
    free(words);
    int rc = run_directive(n + 1, argv, "environment", 0, 0, err, sizeof(err));
    free_args(argv, n + 1);
    return rc < 0 ? fatal_env(var, value, err) : 0;
}

/* Every SHOAL_<DIRECTIVE> variable, in table order (a directive's own name
 * after its alias, so SHOAL_THREADS wins over SHOAL_IO_THREADS); then a
 * warning for each other SHOAL_ variable: it may belong to something else
 * (the test suite's SHOAL_DIFF_SEED...), so it is no error. */
static int load_env(void) {
    char var[ENV_NAME_MAX];

    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const char *names[2] = {directives[i].alias, directives[i].name};
        for (int k = 0; k < 2; k++) {
            if (!names[k]) continue;
            env_var_name(names[k], var);
            const char *value = getenv(var);
            if (value && load_env_var(&directives[i], var, value) < 0) return -1;
        }
    }
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, ENV_PREFIX, ENV_PREFIX_LEN) != 0) continue;
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
        if (len >= ENV_NAME_MAX) len = ENV_NAME_MAX - 1;
        memcpy(var, *e, len);
        var[len] = '\0';
        if (env_var_known(var)) continue;

        char name[ENV_NAME_MAX], want[ENV_NAME_MAX];
        const char *as;
        size_t n = 0;
        for (const char *p = var + ENV_PREFIX_LEN; *p; p++)
            name[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
        name[n] = '\0';
        if (lookup(name, &as)) {
            env_var_name(as, want);
            serverlog(LL_WARNING, "Ignoring environment variable %s: did you mean %s?", var, want);
        } else if (ignored_config(name)) {
            serverlog(LL_WARNING,
                      "Ignoring '%s' (environment variable %s): directive not implemented by shoal",
                      name, var);
        } else {
            serverlog(LL_WARNING, "Ignoring environment variable %s: no directive '%s'", var,
                      name);
        }
    }
    return 0;
}

int config_load(const char *path, int argc, char **argv) {
    if (path) {
        char *abs = realpath(path, NULL);
        free(cfg.config_file);
        cfg.config_file = abs ? abs : xstrdup(path);
        loading_source = "file";
        if (load_file(path, 0) < 0) return -1;
    }
    loading_source = "env";
    if (load_env() < 0) return -1;
    if (argc > 0) {
        char *text = options_text(argc, argv);
        loading_source = "command-line";
        int rc = load_text(text, "command line", 0);
        free(text);
        if (rc < 0) return -1;
    }
    loading_source = "file";
    return 0;
}

/* ---- CONFIG GET / SET ---- */

/* Redis directives shoal ignores but whose value is a fact about shoal:
 * CONFIG GET reports them, since tools (redis-benchmark, backup scripts)
 * read them to learn whether the server persists. */
static const struct {
    const char *name, *value;
} reported[] = {
    {"save", ""},         /* no snapshots */
    {"appendonly", "no"}, /* no append-only file */
};

void config_get(const char *pattern,
                void (*emit)(const char *name, const char *value, void *ctx), void *ctx) {
    size_t plen = strlen(pattern);
    for (size_t i = 0; i < sizeof(reported) / sizeof(reported[0]); i++)
        if (glob_match(pattern, plen, reported[i].name, strlen(reported[i].name), 1))
            emit(reported[i].name, reported[i].value, ctx);
    for (size_t i = 0; i < NDIRECTIVES; i++) {
        const struct directive *d = &directives[i];
        int by_name = glob_match(pattern, plen, d->name, strlen(d->name), 1);
        int by_alias = d->alias && glob_match(pattern, plen, d->alias, strlen(d->alias), 1);
        if (!by_name && !by_alias) continue;

        struct value v;
        value_current(d, &v);
        char *text = render(d, &v);
        if (by_name) emit(d->name, text, ctx);
        if (by_alias) emit(d->alias, text, ctx);
        free(text);
    }
}

/* One name/value pair of a CONFIG SET. */
struct pending {
    const struct directive *d;  /* NULL for an ignored Redis config */
    const char *name;           /* table spelling */
    struct value v;
};

/* Parses a pending pair's value; F_RESTART ones must equal the current. */
static int check_value(struct pending *p, const char *text, char *err, size_t errlen) {
    if (parse_text(p->d, text, &p->v, err, errlen) < 0) return -1;
    if (!(p->d->flags & F_RESTART)) return 0;

    struct value cur;
    value_current(p->d, &cur);
    char *now = render(p->d, &cur), *want = render(p->d, &p->v);
    int same = strcmp(now, want) == 0;
    free(now);
    free(want);
    if (same) return 0;
    snprintf(err, errlen, "can't set immutable config");
    return -1;
}

int config_set_pairs(int n, const char *const *names, const char *const *values,
                     char *err, size_t errlen) {
    struct pending *p = calloc((size_t)(n > 0 ? n : 1), sizeof(*p));
    const char *unknown = NULL, *culprit = NULL;
    char reason[384] = "";
    int i, failed = 0;

    if (!p) abort();
    /* Names first, as Redis: the first unknown, immutable or repeated name
     * is the error, an unknown one taking precedence when it comes first. */
    for (i = 0; i < n && !failed; i++) {
        p[i].d = lookup(names[i], &p[i].name);
        if (!p[i].d) p[i].name = ignored_config(names[i]);
        if (!p[i].name) {
            unknown = names[i];
            failed = 1;
        } else if (p[i].d && (p[i].d->flags & F_IMMUTABLE)) {
            snprintf(reason, sizeof(reason), "can't set immutable config");
            culprit = names[i];
            failed = 1;
        } else {
            for (int j = 0; j < i; j++) {
                if (p[j].d == p[i].d && (p[i].d || p[j].name == p[i].name)) {
                    snprintf(reason, sizeof(reason), "duplicate parameter");
                    culprit = names[i];
                    failed = 1;
                    break;
                }
            }
        }
    }
    /* Then every value, changing nothing yet. */
    for (i = 0; i < n && !failed; i++) {
        if (p[i].d && check_value(&p[i], values[i], reason, sizeof(reason)) < 0) {
            culprit = p[i].name;
            failed = 1;
        }
    }
    if (failed) {
        if (unknown)
            snprintf(err, errlen, "Unknown option or number of arguments for CONFIG SET - '%s'",
                     unknown);
        else
            snprintf(err, errlen, "CONFIG SET failed (possibly related to argument '%s') - %s",
                     culprit, reason);
        for (i = 0; i < n; i++)
            if (p[i].d) value_free(p[i].d, &p[i].v);
        free(p);
        return -1;
    }

    /* Apply: storing cannot fail, so nothing needs rolling back. */
    void (*hooks[NDIRECTIVES])(void);
    size_t nhooks = 0;
    for (i = 0; i < n; i++) {
        if (!p[i].d) {
            serverlog(LL_WARNING, "CONFIG SET %s ignored: directive not implemented by shoal",
                      p[i].name);
            continue;
        }
        sources[p[i].d - directives] = "config-set";
        if (store(p[i].d, &p[i].v) && p[i].d->on_change) hooks[nhooks++] = p[i].d->on_change;
    }
    for (size_t h = 0; h < nhooks; h++) {
        size_t k = 0;
        while (hooks[k] != hooks[h]) k++;
        if (k == h) hooks[h]();
    }
    free(p);
    return 0;
}

int config_set(const char *name, const char *value, char *err, size_t errlen) {
    return config_set_pairs(1, &name, &value, err, errlen);
}

const char *config_source(const char *name) {
    const char *as;
    const struct directive *d = lookup(name, &as);
    if (!d) return NULL;
    return sources[d - directives] ? sources[d - directives] : "default";
}

int config_set_derived(const char *name, const char *value, const char *source) {
    const char *as;
    const struct directive *d = lookup(name, &as);
    char err[256];
    struct value v;
    if (!d || parse_text(d, value, &v, err, sizeof(err)) < 0) return -1;
    store(d, &v);
    sources[d - directives] = source;
    return 0;
}
