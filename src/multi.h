/* multi.h -- transactions (MULTI/EXEC/DISCARD) and WATCH, as Redis 7.0:
 * the calls dispatch.c, connection.c and the keyspace commands make into
 * multi.c. The command procs themselves are declared in commands.h. */
#ifndef SHOAL_MULTI_H
#define SHOAL_MULTI_H

#include <stdint.h>

#include "server.h"

/* Installs the store's modify hook that dirties watching clients. Call
 * once, after store_init() and before the workers start. */
void multi_init(void);

/* Queues the command in c->argc/c->argv (copied) for EXEC and replies
 * +QUEUED. For a client in MULTI whose command is not one of EXEC,
 * DISCARD, MULTI, WATCH, QUIT, RESET. */
void multi_queue(struct client *c, const struct command *cmd);

/* A command was refused while the client is in MULTI (unknown command,
 * arity, NO_MULTI...): the coming EXEC fails with EXECABORT. */
void multi_flag_error(struct client *c);

/* EXEC itself was refused before running, with error msg as it would
 * have been sent ("ERR wrong number of arguments for 'exec' command",
 * "NOAUTH Authentication required."). Discards the transaction and
 * replies "EXECABORT Transaction discarded because of: <msg>", without
 * msg's "ERR " code, as Redis does. Use instead of the plain error. */
void multi_exec_abort(struct client *c, const char *msg);

/* RESET: leaves MULTI, drops the queue and every WATCH. */
void multi_reset(struct client *c);

/* Before a client's memory is freed, on its own thread: drops the queue
 * and every WATCH, so no other thread can reach the client any more.
 * Needs no keyspace lock. */
void multi_free_client(struct client *c);

/* For FLUSHDB/FLUSHALL, with the keyspace lock held exclusively, before
 * the db is emptied: dirties the clients watching a key present in it. */
void multi_touch_flushed_db(int dbid);

/* SWAPDB a b (a != b), with the keyspace lock held exclusively: dirties
 * the clients watching a key the swap changes (present in either db, with
 * Redis 7's rules for expired keys), swaps the databases (store_swap_db)
 * and keeps every WATCH on its database index. now: the command's time. */
void multi_swap_db(int a, int b, int64_t now);

#endif
