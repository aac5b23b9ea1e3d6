/* config.h -- server configuration: directives, defaults, CONFIG GET/SET.
 *
 * One table in config.c describes every directive (name, type, default,
 * limits, whether CONFIG SET may change it at run time). The same table
 * parses the config file, the command line and CONFIG SET, and renders
 * CONFIG GET, so the four can never disagree. Names, value syntax (memory
 * units, yes/no, quoting) and error texts are Redis 7.0's; directives Redis
 * knows but shoal does not implement are accepted and ignored with a
 * warning (see redis-compat.conf).
 *
 * Thread safety: CONFIG SET runs while the keyspace lock is held exclusively
 * (see keyspace_lock in server.h), so a command never sees a directive
 * change half-way, and string fields (requirepass...) may be freed and
 * replaced. Event-loop code outside commands reads only scalar fields,
 * where a stale value for one event is harmless. Fields are read live:
 * log.c re-reads loglevel per line, auth must test requirepass per command,
 * the cron re-reads hz when it re-arms, new connections read timeout,
 * tcp-keepalive and maxclients. */
#ifndef SHOAL_CONFIG_H
#define SHOAL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_BIND 16

enum maxmemory_policy {
    MAXMEMORY_NOEVICTION,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_ALLKEYS_RANDOM,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
};

enum cluster_mode { CLUSTER_MODE_PROXY, CLUSTER_MODE_REDIRECT };

enum log_level { LL_DEBUG, LL_VERBOSE, LL_NOTICE, LL_WARNING, LL_NOTHING };

struct config {
    /* network */
    char *bind[CONFIG_MAX_BIND];   /* addresses; "-" prefix = optional */
    int bind_count;                /* 0 = no TCP listener ("bind ''") */
    int port;                      /* 0 = no TCP listener */
    char *unixsocket;              /* NULL = none */
    unsigned int unixsocketperm;   /* 0 = leave the umask's mode */
    int protected_mode;
    int tcp_backlog;
    int tcp_keepalive;             /* seconds, 0 = off */
    int timeout;                   /* idle seconds, 0 = never */
    /* clients */
    char *requirepass;             /* NULL = no password */
    int maxclients;                /* Redis allows up to 2^32-1: saturates at INT_MAX */
    long long proto_max_bulk_len;
    long long client_query_buffer_limit;
    /* memory */
    unsigned long long maxmemory;  /* bytes, 0 = no limit */
    int maxmemory_policy;          /* enum maxmemory_policy */
    int maxmemory_samples;
    /* keyspace */
    int databases;
    int hz;                        /* background task frequency, kept in 1..500 */
    /* process */
    int threads;                   /* 0 until resolved at start-up */
    char *cgroup_root;             /* cgroup mount for the defaults, NULL = none */
    int shutdown_timeout;          /* s the SIGTERM drain may take (shutdown.c) */
    int loglevel;                  /* enum log_level */
    char *logfile;                 /* "" = standard output, never NULL */
    char *pidfile;                 /* NULL = none */
    int daemonize;
    char *config_file;             /* absolute path of the file loaded, or NULL */
    /* cluster (cluster.c) */
    int cluster_enabled;
    int cluster_port;              /* 0 = port + 10000 */
    char *cluster_name;            /* never NULL */
    char *cluster_seeds;           /* "host:port,host:port...", NULL = none */
    int cluster_probe_interval;    /* ms */
    int cluster_indirect_checks;
    char *cluster_announce_ip;     /* NULL = derived from bind */
    int cluster_announce_port;     /* client port announced, 0 = port */
    int cluster_leave_timeout;     /* ms */
    int cluster_mode;              /* enum cluster_mode */
    int cluster_forward_timeout;   /* ms a forwarded request may take */
    long long cluster_forward_buffer_limit; /* bytes queued per peer link */
    char *cluster_secret;          /* peers authenticate with it; NULL = none */
    char *masterauth;              /* else peers AUTH with it (or requirepass) */
    /* observability (metrics.h) */
    int metrics_port;              /* HTTP /metrics, /healthz, /readyz; 0 = off */
    char *metrics_bind;            /* one address, "*" or "::*"; never NULL */
};

extern struct config cfg;

/* Sets every directive to its default (frees strings set before). */
void config_init_defaults(void);

/* Loads directives from the file at path (NULL = none), then the
 * environment (SHOAL_<NAME>, upper case, '-' as '_': a single-value
 * directive takes the value as it is, bind the value split as a config
 * line; a bad value is reported as "Reading the environment, variable
 * SHOAL_X" / ">>> 'SHOAL_X=value'"; other SHOAL_ variables only log a
 * warning), then the command line options, so each overrides the one
 * before. argv holds only the options, i.e. what follows the program
 * name and the config file path in main's argv: "--name value..." as
 * redis-server takes them (a directive's values run until the next "--"
 * argument, except that a directive's first value may itself start with
 * "--"; "--port 6380" as one argument works too). "include" in a file loads
 * another file (glob patterns allowed) in place.
 *
 * On an unknown directive or a bad value prints Redis's block to stderr:
 *
 *     *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
 *     Reading the configuration file, at line 2 (/etc/shoal.conf)
 *     >>> 'port abc'
 *     argument couldn't be parsed into an integer
 *
 * ("(command line)" instead of the path for an option, whose options are
 * numbered from 1 as lines) and returns -1; a file that cannot be opened
 * is logged as Redis logs it and also returns -1. Directives Redis knows
 * and shoal ignores log one warning each. Returns 0 on success. */
int config_load(const char *path, int argc, char **argv);

/* Values for CONFIG GET: every directive (and alias, e.g. io-threads)
 * whose name matches the glob pattern (case-insensitive), in table order.
 * Calls emit(name, value, ctx) for each: name is a static string, value
 * is valid during the call only. */
void config_get(const char *pattern,
                void (*emit)(const char *name, const char *value, void *ctx),
                void *ctx);

/* CONFIG SET of n name/value pairs, atomically: every name and value is
 * checked before anything changes; then all are applied (which cannot
 * fail) and the change hooks run once each. Returns 0, or -1 with the
 * Redis 7 error message without the leading "ERR " in err, e.g.
 *   Unknown option or number of arguments for CONFIG SET - 'foo'
 *   CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value
 * A Redis directive shoal ignores is accepted (and logged), not stored. */
int config_set_pairs(int n, const char *const *names, const char *const *values,
                     char *err, size_t errlen);

/* CONFIG SET of one directive: config_set_pairs with n = 1. */
int config_set(const char *name, const char *value, char *err, size_t errlen);

/* Where a directive's current value came from, for INFO: "default",
 * "file" (a config file or its includes), "env" (a SHOAL_* variable),
 * "command-line", "config-set", or the source given to
 * config_set_derived ("cgroup", "affinity"...). NULL for an unknown name. */
const char *config_source(const char *name);

/* Start-up only: sets a directive to a value shoal derived itself (from
 * the cgroup limits, the CPUs...), parsed as CONFIG SET would, and records
 * source as where it came from. Returns 0, or -1 for an unknown name or a
 * bad value (nothing changes). Whether the configuration set the directive
 * explicitly is the caller's test: config_source(name) is then not
 * "default". */
int config_set_derived(const char *name, const char *value, const char *source);

/* Called after maxmemory / maxmemory-policy change (start-up or CONFIG
 * SET, with the keyspace lock held exclusively). Defined in evict.c: it
 * evicts down to a lowered limit, and switches the store between LRU and
 * LFU bookkeeping. */
void config_on_maxmemory_change(void);
void config_on_maxmemory_policy_change(void);

#endif
