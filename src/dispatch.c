/* dispatch.c -- runs one parsed command: finds it in the command table,
 * checks arity, authentication and transaction state as Redis's
 * processCommand does (same order, same errors), takes the keyspace lock
 * in the mode the command needs, and keeps per-command statistics.
 *
 * The keyspace lock is taken shared once for a whole batch of pipelined
 * commands and released by dispatch_batch_done(), so a pipeline of simple
 * commands pays for it once. A command that must run alone (EXEC, SWAPDB,
 * multi-key writes...) drops the shared hold and takes it exclusively. */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>

#include "cluster.h"
#include "commands.h"
#include "evict.h"
#include "forward.h"
#include "metrics.h"
#include "multi.h"
#include "util.h"

static void hold_shared(struct worker *w) {
    if (w->keyspace_held) return;
    pthread_rwlock_rdlock(&server.keyspace_lock);
    w->keyspace_held = 1;
}

void dispatch_batch_done(struct worker *w) {
    if (!w->keyspace_held) return;
    pthread_rwlock_unlock(&server.keyspace_lock);
    w->keyspace_held = 0;
}

/* Number of keys the legacy key range gives for this argc. */
static int key_count(const struct command *cmd, int argc) {
    if (cmd->first_key <= 0) return 0;
    int last = cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
    if (last < cmd->first_key) return 0;
    return (last - cmd->first_key) / cmd->key_step + 1;
}

static int needs_exclusive(const struct command *cmd, int argc) {
    if (cmd->flags & CMD_X_EXCLUSIVE) return 1;
    return (cmd->flags & CMD_X_MULTIKEY_EXCLUSIVE) && key_count(cmd, argc) > 1;
}

void call_command(struct client *c, const struct command *cmd) {
    struct worker *w = c->worker;
    uint64_t errors_before = w->stats.total_error_replies;
    int64_t start = monotonic_us();

    c->cmd = cmd;
    cmd->proc(c);

    struct command_stats *cs = &w->cmdstats[cmd->id];
    cs->calls++;
    uint64_t usec = (uint64_t)(monotonic_us() - start);
    cs->usec += usec;
    metrics_record_latency(w->id, cmd->id, usec);
    if (w->stats.total_error_replies != errors_before) cs->failed_calls++;
    w->stats.commands++;
    c->lastcmd = cmd;
}

/* A command refused before it ran: error reply, statistics, and in MULTI
 * the transaction is doomed (EXECABORT). */
static void reject(struct client *c, const struct command *cmd, const char *msg) {
    if (cmd) c->worker->cmdstats[cmd->id].rejected_calls++;
    /* a refused EXEC discards the transaction, as Redis's execCommandAbort */
    if (cmd && cmd->proc == cmd_exec) {
        multi_exec_abort(c, msg);
        return;
    }
    reply_error(c, msg);
    if (atomic_load_explicit(&c->flags, memory_order_relaxed) & CLIENT_MULTI)
        multi_flag_error(c);
}

static void reject_unknown(struct client *c) {
    char args[160], msg[512];
    size_t n = 0;
    args[0] = '\0';
    for (int i = 1; i < c->argc && n < 128; i++) {
        int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ", (int)(128 - n), c->argv[i].ptr);
        if (w < 0) break;
        n += (size_t)w;
        if (n >= sizeof(args)) n = sizeof(args) - 1;
    }
    snprintf(msg, sizeof(msg), "ERR unknown command '%.128s', with args beginning with: %s",
             c->argv[0].ptr, args);
    reject(c, NULL, msg);
}

static void reject_unknown_sub(struct client *c, const struct command *container) {
    char upper[64], msg[512];
    size_t i;
    for (i = 0; container->name[i] && i < sizeof(upper) - 1; i++)
        upper[i] = (char)(container->name[i] >= 'a' && container->name[i] <= 'z'
                              ? container->name[i] - 32
                              : container->name[i]);
    upper[i] = '\0';
    snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.128s'. Try %s HELP.", c->argv[1].ptr,
             upper);
    reject(c, NULL, msg);
}

static int arity_ok(const struct command *cmd, int argc) {
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* Commands that run at once even inside MULTI. */
static int runs_inside_multi(const struct command *cmd) {
    return cmd->proc == cmd_exec || cmd->proc == cmd_discard || cmd->proc == cmd_multi ||
           cmd->proc == cmd_watch || cmd->proc == cmd_quit || cmd->proc == cmd_reset;
}

void dispatch_run(struct client *c, const struct command *cmd) {
    struct worker *w = c->worker;
    if (needs_exclusive(cmd, c->argc)) {
        dispatch_batch_done(w);
        pthread_rwlock_wrlock(&server.keyspace_lock);
        call_command(c, cmd);
        pthread_rwlock_unlock(&server.keyspace_lock);
    } else {
        hold_shared(w);
        call_command(c, cmd);
    }
}

void dispatch_command(struct client *c) {
    unsigned flags = atomic_load_explicit(&c->flags, memory_order_relaxed);
    int skip_this = 0;

    /* CLIENT REPLY SKIP silences the command after it. */
    if (flags & CLIENT_REPLY_SKIP_NEXT) {
        atomic_fetch_and(&c->flags, ~CLIENT_REPLY_SKIP_NEXT);
        atomic_fetch_or(&c->flags, CLIENT_REPLY_SKIP);
        skip_this = 1;
    }
    c->now_ms = mstime();

    struct command *cmd = command_lookup(c->argv[0].ptr, c->argv[0].len);
    if (cmd && cmd->subcommands && c->argc >= 2) {
        struct command *sub = command_lookup_sub(cmd, c->argv[1].ptr, c->argv[1].len);
        if (!sub) {
            reject_unknown_sub(c, cmd);
            goto done;
        }
        cmd = sub;
    }
    c->cmd = cmd;
    if (!cmd) {
        reject_unknown(c);
        goto done;
    }
    c->lastcmd = cmd;   /* CLIENT LIST's cmd=, even if refused or queued */
    if (!arity_ok(cmd, c->argc)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' command",
                 cmd->fullname);
        reject(c, cmd, msg);
        goto done;
    }
    if (cfg.requirepass && !(flags & CLIENT_AUTHENTICATED) && !(cmd->flags & CMD_NO_AUTH)) {
        reject(c, cmd, "NOAUTH Authentication required.");
        goto done;
    }
    if ((flags & CLIENT_MULTI) && (cmd->flags & CMD_NO_MULTI)) {
        reject(c, cmd, "ERR Command not allowed inside a transaction");
        goto done;
    }
    if (cfg.cluster_enabled && !(flags & CLIENT_PEER)) {
        /* another member may own the keys: it checks its own memory */
        char err[256];
        err[0] = '\0';
        int routed = forward_command(c, cmd, err, sizeof(err));
        if (routed < 0) reject(c, cmd, err[0] ? err : "ERR out of memory");
        if (routed) goto done;
    }
    if (cfg.maxmemory) {
        /* as Redis: evict before every command; refuse only those that
         * may grow memory when nothing more can be evicted */
        hold_shared(c->worker);
        if (evict_if_needed(c->now_ms, &c->worker->stats.ks, EVICT_COMMAND_BUDGET_US) ==
                EVICT_FAIL &&
            (cmd->flags & CMD_DENYOOM)) {
            reject(c, cmd, "OOM command not allowed when used memory > 'maxmemory'.");
            goto done;
        }
    }
    if (flags & CLIENT_MULTI) {
        if (!runs_inside_multi(cmd)) {
            multi_queue(c, cmd);
            goto done;
        }
    }
    dispatch_run(c, cmd);

done:
    if (skip_this) atomic_fetch_and(&c->flags, ~CLIENT_REPLY_SKIP);
}
