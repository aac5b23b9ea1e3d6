/* shutdown.h -- the graceful shutdown on SIGTERM and SIGINT, so that a
 * sidecar stopped by Kubernetes (SIGTERM, then SIGKILL after the 30 s
 * grace period) loses no reply:
 *
 *   1. stop accepting: the listening sockets are closed at once, so new
 *      connections are refused (and a load balancer moves on);
 *   2. leave the cluster: cluster_stop() runs on a thread of its own, so
 *      the others stop routing keys here while the clients are served;
 *   3. drain: every worker keeps serving its connections and closes each
 *      one when it is idle at a request boundary: nothing unparsed in its
 *      query buffer or its socket, no reply left to write, no forwarded
 *      command awaiting its owner, not inside MULTI, and no traffic for
 *      SHUTDOWN_QUIET_MS (a pipeline still being written is not cut);
 *   4. after shutdown-timeout seconds whatever is left is closed anyway;
 *   5. then main() stops the workers as for SHUTDOWN, exit status 0.
 *
 * The whole takes at most max(shutdown-timeout, cluster-leave-timeout)
 * plus a tick: 10 s by default, well inside Kubernetes' 30 s. A second
 * SIGINT during the drain exits at once with status 1, as Redis's. */
#ifndef SHOAL_SHUTDOWN_H
#define SHOAL_SHUTDOWN_H

#include <stdint.h>

#include <ev.h>

/* A connection with no traffic for this long, and nothing in flight, is
 * done: long enough for a client between two batches of a pipeline (its
 * think time), short enough that idle pooled connections cost little. A
 * client that sends again after being closed sees the connection closed
 * and, on reconnecting, refused: what a stopped server looks like. */
#define SHUTDOWN_QUIET_MS 500
/* How often each worker looks at its connections while draining. */
#define SHUTDOWN_TICK_MS 10

/* After workers_init, before workers_start: one watcher per worker loop
 * (started there while no worker thread runs). */
void shutdown_init(void);

/* On worker 0's loop (the signal watcher): steps 1-4 begin; worker 0's
 * loop is broken once the drain is over, and ev_run returns to main. */
void shutdown_begin(const char *signame);

/* Whether shutdown_begin ran. */
int shutdown_draining(void);

/* Milliseconds left before the drain gives up, -1 when not draining (INFO
 * server's shutdown_in_milliseconds, shown only then, as Redis's). */
int64_t shutdown_remaining_ms(void);

/* After ev_run returned in main: waits for the cluster leave (started by
 * shutdown_begin, or done now for SHUTDOWN) and closes the listeners if
 * that has not happened yet. */
void shutdown_finish(void);

#endif
