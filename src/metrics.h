/* metrics.h -- observability over HTTP: Prometheus metrics, liveness and
 * readiness, on metrics-bind:metrics-port (off when the port is 0).
 *
 * metrics_http.c runs the listener on a thread of its own with its own
 * libev loop: a slow or stalled scraper, or rendering a large exposition,
 * never delays a client's command on a worker (worker 0 also owns the
 * client listeners and signals), and /healthz keeps answering while the
 * workers are busy or shutting down. It serves
 *   GET|HEAD /metrics   Prometheus text exposition 0.0.4 (metrics.c)
 *   GET|HEAD /healthz   200 "ok" while every event loop runs, else 503
 *   GET|HEAD /readyz    200 "ready", or 503 and the reason (health.h)
 * and nothing else (404; other methods 405), one request per connection
 * (Connection: close), heads of at most 8 KiB (else 414/431), 5 s to send
 * the request and 5 s to take the reply, 16 connections at a time.
 *
 * metrics.c keeps what the rest of the server does not already count:
 * each command's latency histogram, per worker thread like the other
 * statistics, and renders every family from the per-worker counters,
 * summed as INFO sums them. */
#ifndef SHOAL_METRICS_H
#define SHOAL_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* ---- start-up and shutdown (metrics_http.c) ---- */

/* After the workers are created and before their threads start: sets up
 * the histograms, binds the port and starts the metrics thread. 0 when
 * metrics-port is 0. Returns -1 and logs why on failure (port in use). */
int metrics_start(void);
/* Stops the metrics thread and closes its port (the end of shutdown). */
void metrics_stop(void);

/* ---- command latency (metrics.c) ---- */

/* Counts one call of command cmd_id on worker worker_id that took usec
 * microseconds. Called by call_command (dispatch.c) on the worker's own
 * thread, next to struct command_stats; a no-op when metrics are off. */
void metrics_record_latency(int worker_id, int cmd_id, uint64_t usec);
/* Zeroes the histograms (CONFIG RESETSTAT, with struct command_stats). */
void metrics_reset(void);

/* ---- building the exposition ---- */

struct metrics_buf;

/* Starts a metric family: its "# HELP" and "# TYPE" lines. Once per
 * family, before its samples; type is "counter" or "gauge" (a counter's
 * name ends in _total). help: one line of plain text. */
void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help);
/* One sample of the family begun last: name{l1="v1",...} value, with
 * nlabels (label name, label value) pairs of strings after it. Label
 * values may hold any bytes: they are escaped here. */
void metrics_sample(struct metrics_buf *b, const char *name, uint64_t value, int nlabels, ...);
/* The same with a floating-point value (seconds, ratios). */
void metrics_sample_f(struct metrics_buf *b, const char *name, double value, int nlabels, ...);

/* The body of GET /metrics: every family, rendered now (malloc'ed text,
 * its length in *len; the caller frees it). Runs on the metrics thread. */
char *metrics_render(size_t *len);

/* The forwarding layer's families: forwarded requests and peer errors by
 * peer (e.g. shoal_forwarded_requests_total{peer="<id>"}), implemented by
 * forward.c with metrics_family and metrics_sample. It runs on the metrics
 * thread: read other threads' counters as INFO does (relaxed loads of
 * per-worker counters, summed; peer_links_stats). Declared weak: while no
 * file defines it, /metrics simply has no forwarding families. */
void forward_metrics_emit(struct metrics_buf *b) __attribute__((weak));

/* ---- between metrics.c and metrics_http.c ---- */

/* Allocates the histograms, one row per command for each worker. 0 or -1. */
int metrics_histograms_init(int nworkers, int ncommands);
/* 1 when /readyz answers 200 now; on the metrics thread only. */
int metrics_ready(void);

#endif
