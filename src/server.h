/* server.h -- process-wide state, the client, and the reply API.
 *
 * Threads: the process runs cfg.threads workers (worker.c), each with its
 * own libev loop; worker 0 runs on the main thread and also owns the
 * listening sockets and signals. A client belongs to one worker for life.
 *
 * Keyspace lock: every command runs holding the keyspace lock shared
 * (taken once per batch of pipelined commands); a command flagged
 * CMD_X_EXCLUSIVE (EXEC, SWAPDB, CONFIG SET, multi-key writes...) takes it
 * exclusively, so it is atomic with respect to every client on every
 * thread. Inside the shared lock the store's shard locks serialise access
 * to individual keys. */
#ifndef SHOAL_SERVER_H
#define SHOAL_SERVER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <ev.h>

#include "command.h"
#include "config.h"
#include "resp.h"
#include "store.h"

#define SHOAL_VERSION "0.1.0"
#define REDIS_COMPAT_VERSION "7.0.15" /* the Redis whose behaviour we match */

/* Internal command flags, above the ones COMMAND INFO prints. */
#define CMD_X_EXCLUSIVE (1u << 31)  /* run with the keyspace lock exclusive */
#define CMD_X_MULTIKEY_EXCLUSIVE (1u << 30) /* exclusive when >1 key */

/* ---- arguments ---- */

/* A command argument. ptr[len] is always '\0'. */
struct arg {
    char *ptr;
    size_t len;
};

/* ---- replies ---- */

struct reply_block {
    struct reply_block *next;
    size_t size, used;
    int hole;           /* a reply still to come: writing stops here */
    char buf[];
};

/* ---- transactions (multi.c) ---- */

struct queued_command {
    const struct command *cmd;
    int argc;
    struct arg *argv;   /* owned copies */
};

struct multi_state {
    struct queued_command *commands;
    int count, cap;
};

struct watched_key;     /* multi.c */

/* ---- client ---- */

enum {
    CLIENT_CLOSE_AFTER_REPLY = 1u << 0, /* QUIT, protocol error */
    CLIENT_CLOSE_ASAP = 1u << 1,        /* CLIENT KILL, limits */
    CLIENT_MULTI = 1u << 2,             /* inside MULTI */
    CLIENT_DIRTY_CAS = 1u << 3,         /* a watched key was touched */
    CLIENT_DIRTY_EXEC = 1u << 4,        /* a command failed while queueing */
    CLIENT_AUTHENTICATED = 1u << 5,
    CLIENT_UNIX_SOCKET = 1u << 6,
    CLIENT_NO_EVICT = 1u << 7,
    CLIENT_REPLY_OFF = 1u << 8,
    CLIENT_REPLY_SKIP_NEXT = 1u << 9,   /* set by CLIENT REPLY SKIP */
    CLIENT_REPLY_SKIP = 1u << 10,       /* suppress the current command */
    CLIENT_INPUT_PAUSED = 1u << 11,     /* commands wait until replies drain */
    CLIENT_PEER = 1u << 12,             /* a member's link: never forward */
    CLIENT_FLUSH_PENDING = 1u << 13,    /* on the worker's flush list */
};

struct worker;

struct client {
    uint64_t id;
    int fd;
    struct worker *worker;
    ev_io read_ev, write_ev;
    struct client *prev, *next;         /* worker's client list */

    atomic_uint flags;                  /* CLIENT_*; DIRTY_CAS and CLOSE_ASAP
                                         * may be set from other threads */
    int resp;                           /* 2 or 3 */
    int db;                             /* selected database */

    /* query */
    char *qbuf;
    size_t qlen, qcap;                  /* bytes held, capacity */
    size_t qpos;                        /* start of the unparsed command */
    size_t qbuf_peak;
    struct resp_parser parser;
    int argc;
    struct arg *argv;
    int argv_cap;
    const struct command *cmd, *lastcmd;
    int64_t now_ms;                     /* time the current command started */

    /* replies */
    struct reply_block *reply_head, *reply_tail;
    size_t reply_bytes;                 /* queued, not yet written */
    size_t sent_in_head;                /* bytes of reply_head already written */

    /* identity (guarded by worker->clients_lock for readers on other threads) */
    char *name, *lib_name, *lib_ver;
    char addr[64], laddr[64];
    int64_t ctime_ms;
    int64_t last_interaction_ms;

    struct multi_state mstate;
    struct watched_key *watched;        /* list, multi.c */
    int watched_count;

    /* forwarding (forward.c) */
    unsigned fwd_pending;               /* forwarded commands not yet answered */
    struct fwd_client *fwd;             /* NULL until the client forwards */
    struct client *flush_next;          /* worker's flush list */
};

/* ---- worker threads (worker.c) ---- */

struct command_stats {
    uint64_t calls, usec, rejected_calls, failed_calls;
};

struct worker_stats {
    uint64_t commands;
    uint64_t connections;
    uint64_t rejected_conn;
    uint64_t net_input_bytes, net_output_bytes;
    struct keyspace_stats ks;           /* hits, misses, expired, evicted */
    uint64_t total_error_replies;
    uint64_t unexpected_error_replies;
};

struct worker {
    int id;
    pthread_t thread;
    struct ev_loop *loop;
    ev_async wakeup;                    /* new connections, kills, stop */
    ev_timer cron;
    ev_timer evict;                     /* background eviction slices */

    pthread_mutex_t clients_lock;       /* the client list and identities */
    struct client *clients;
    int nclients;

    pthread_mutex_t inbox_lock;         /* fds handed over by the acceptor */
    struct pending_conn *inbox;

    int keyspace_held;                  /* holds the keyspace lock shared */
    unsigned expire_next;               /* where the next expiry cycle starts */

    /* forwarding (forward.c, peer.c) */
    struct peer_link *peers;            /* shared links, one per member */
    struct peer_link *private_peers;    /* transactions' own links */
    struct fwd_worker *fwd;
    ev_prepare flush_prepare;           /* writes what forwarded replies filled */
    struct client *flush_list;

    struct worker_stats stats;
    struct command_stats *cmdstats;     /* indexed by command id */
    struct error_stats *errstats;       /* per error code, see stats.c */
};

extern _Thread_local struct worker *self_worker;

/* ---- process-wide state (server.c) ---- */

struct server {
    pid_t pid;
    int64_t start_ms;
    char runid[41];
    struct worker *workers;
    int nworkers;
    pthread_rwlock_t keyspace_lock;
    atomic_uint_fast64_t next_client_id;
    atomic_int connected_clients;
    atomic_int shutdown_requested;
    const char *executable;
    char *exec_argv_line;
};

extern struct server server;

/* ---- time (util.c) ---- */
int64_t mstime(void);
int64_t ustime(void);

/* ---- replies (reply.c) ---- */
void reply_raw(struct client *c, const char *s, size_t len);
void reply_ok(struct client *c);
void reply_status(struct client *c, const char *status);
/* msg includes the error code: "ERR syntax error", "WRONGTYPE ...". */
void reply_error(struct client *c, const char *msg);
void reply_errorf(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void reply_int(struct client *c, long long v);
void reply_bulk(struct client *c, const char *p, size_t len);
void reply_bulk_cstr(struct client *c, const char *s);
void reply_bulk_ll(struct client *c, long long v);
void reply_null(struct client *c);          /* $-1 / _ */
void reply_null_array(struct client *c);    /* *-1 / _ */
void reply_array(struct client *c, long n);
void reply_map(struct client *c, long n);   /* n pairs: %n / *2n */
void reply_set(struct client *c, long n);   /* ~n / *n */
void reply_bool(struct client *c, int v);
void reply_verbatim(struct client *c, const char *p, size_t len, const char *ext);
/* An array whose length is known only after its elements are added. */
void *reply_defer_len(struct client *c);
void reply_set_deferred_array(struct client *c, void *handle, long n);
void reply_set_deferred_map(struct client *c, void *handle, long n);
/* Holes: the place of a reply that comes later (a forwarded command).
 * Replies added after a hole are written only once it is filled, so a
 * client always gets its replies in the order of its commands. NULL when
 * replies are off (CLIENT REPLY). Between begin and end, the reply
 * functions write into the hole, in protocol resp. */
struct reply_block *reply_hole_open(struct client *c);
struct hole_fill {
    struct reply_block *head, *tail;
    int resp;
    unsigned quiet;
};
void reply_hole_begin(struct client *c, struct hole_fill *f, int resp);
void reply_hole_end(struct client *c, struct reply_block *hole, struct hole_fill *f);
/* Common errors, with Redis's exact text. */
void reply_syntax_error(struct client *c);
void reply_wrongtype(struct client *c);
void reply_not_integer(struct client *c);
void reply_arity_error(struct client *c);

/* ---- dispatch (dispatch.c) ---- */
/* Runs the parsed command in c->argc/c->argv. */
void dispatch_command(struct client *c);
/* Runs one command proc with statistics, outside MULTI handling (EXEC). */
void call_command(struct client *c, const struct command *cmd);
/* call_command under the keyspace lock in the mode the command needs. */
void dispatch_run(struct client *c, const struct command *cmd);

/* ---- connections (connection.c) ---- */
void client_close(struct client *c);
/* Asks the client's own worker to close it (CLIENT KILL from any thread):
 * sets CLIENT_CLOSE_ASAP and wakes that worker. Lock-free. */
void client_request_close(struct client *c);
/* Writes the client's replies when the worker's loop next goes idle
 * (after a forwarded reply filled a hole). */
void client_flush_later(struct client *c);

#endif
