/* metrics.c -- the Prometheus exposition (text format 0.0.4) of GET
 * /metrics, and the per-command latency histograms behind it.
 *
 * Histograms: each worker has a row of buckets per command, written only
 * by that worker (in call_command, next to struct command_stats), read by
 * the metrics thread with relaxed loads; the buckets are stored per bucket
 * and made cumulative when rendered, so a scrape that races a worker still
 * shows non-decreasing buckets. The bounds run from 1 us (a GET) to 10 s
 * (KEYS or FLUSHALL over millions of keys).
 *
 * Every other family is read where INFO reads it: struct worker_stats and
 * struct command_stats summed over the workers (relaxed loads), the error
 * counters (stats.c), memory.c, the store's lock-free key counts, and the
 * cluster's current view. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_info.h"
#include "cluster.h"
#include "command.h"
#include "memory.h"
#include "server.h"
#include "stats.h"
#include "store.h"

#define PEEK(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)
/* A single writer's increment that a reader on another thread may load. */
#define BUMP(field, n) __atomic_store_n(&(field), PEEK(field) + (n), __ATOMIC_RELAXED)

/* ---- histograms ---- */

#define NBOUNDS 21
#define NBUCKETS (NBOUNDS + 1)      /* the last is +Inf */

/* Times are whole microseconds (monotonic_us), so the first bucket holds
 * the commands that took less than 2 us, which is most of a cache's. */
static const uint64_t bound_us[NBOUNDS] = {
    1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000,
};
static const char *const bound_le[NBUCKETS] = {
    "1e-06", "5e-06", "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005", "0.001",
    "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10",
    "+Inf",
};

struct latency_row {
    uint64_t buckets[NBUCKETS];     /* calls with bound_us[i-1] < usec <= bound_us[i] */
    uint64_t sum_us;
};

static struct latency_row **rows;   /* rows[worker][command]; NULL when off */
static int rows_workers, rows_commands;

int metrics_histograms_init(int nworkers, int ncommands) {
    rows = calloc((size_t)nworkers, sizeof(*rows));
    if (!rows) return -1;
    for (int w = 0; w < nworkers; w++) {
        /* one allocation per worker, cache-line aligned: no false sharing */
        size_t size = (sizeof(struct latency_row) * (size_t)ncommands + 63) / 64 * 64;
        rows[w] = aligned_alloc(64, size ? size : 64);
        if (!rows[w]) return -1;
        memset(rows[w], 0, size);
    }
    rows_workers = nworkers;
    rows_commands = ncommands;
    return 0;
}

void metrics_record_latency(int worker_id, int cmd_id, uint64_t usec) {
    if (!rows) return;
    struct latency_row *r = &rows[worker_id][cmd_id];
    int b = 0;
    while (b < NBOUNDS && usec > bound_us[b]) b++;
    BUMP(r->buckets[b], 1);
    BUMP(r->sum_us, usec);
}

void metrics_reset(void) {
    for (int w = 0; rows && w < rows_workers; w++)
        memset(rows[w], 0, sizeof(struct latency_row) * (size_t)rows_commands);
}

/* ---- text building ---- */

struct metrics_buf {
    struct strbuf sb;
};

void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help) {
    sb_printf(&b->sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value in the exposition's escaping: backslash, quote, newline. */
static void append_escaped(struct strbuf *sb, const char *v) {
    for (const char *p = v; *p; p++) {
        switch (*p) {
        case '\\': sb_append(sb, "\\\\", 2); break;
        case '"': sb_append(sb, "\\\"", 2); break;
        case '\n': sb_append(sb, "\\n", 2); break;
        default: sb_append(sb, p, 1);
        }
    }
}

static void sample_name(struct metrics_buf *b, const char *name, int nlabels, va_list ap) {
    sb_append(&b->sb, name, strlen(name));
    if (nlabels <= 0) return;
    sb_append(&b->sb, "{", 1);
    for (int i = 0; i < nlabels; i++) {
        const char *label = va_arg(ap, const char *);
        const char *value = va_arg(ap, const char *);
        sb_printf(&b->sb, "%s%s=\"", i ? "," : "", label);
        append_escaped(&b->sb, value ? value : "");
        sb_append(&b->sb, "\"", 1);
    }
    sb_append(&b->sb, "}", 1);
}

void metrics_sample(struct metrics_buf *b, const char *name, uint64_t value, int nlabels, ...) {
    va_list ap;
    va_start(ap, nlabels);
    sample_name(b, name, nlabels, ap);
    va_end(ap);
    sb_printf(&b->sb, " %llu\n", (unsigned long long)value);
}

void metrics_sample_f(struct metrics_buf *b, const char *name, double value, int nlabels, ...) {
    va_list ap;
    va_start(ap, nlabels);
    sample_name(b, name, nlabels, ap);
    va_end(ap);
    sb_printf(&b->sb, " %.6f\n", value);
}

/* A family of one unlabelled sample. */
static void single(struct metrics_buf *b, const char *name, const char *type, const char *help,
                   uint64_t value) {
    metrics_family(b, name, type, help);
    metrics_sample(b, name, value, 0);
}

/* ---- server ---- */

static void render_server(struct metrics_buf *b) {
    metrics_family(b, "shoal_build_info", "gauge",
                   "Always 1; the labels say which shoal, matching which Redis.");
    metrics_sample(b, "shoal_build_info", 1, 2, "version", SHOAL_VERSION, "redis_version",
                   REDIS_COMPAT_VERSION);
    metrics_family(b, "shoal_start_time_seconds", "gauge",
                   "When the server started, in seconds since the Unix epoch.");
    metrics_sample_f(b, "shoal_start_time_seconds", (double)server.start_ms / 1000, 0);
    single(b, "shoal_worker_threads", "gauge", "Worker threads serving clients.",
           (uint64_t)server.nworkers);
    single(b, "shoal_ready", "gauge", "1 when /readyz answers 200, else 0.",
           (uint64_t)metrics_ready());
}

static void render_stats(struct metrics_buf *b) {
    struct worker_stats t;
    memset(&t, 0, sizeof(t));
    for (int i = 0; i < server.nworkers; i++) {
        struct worker_stats *s = &server.workers[i].stats;
        t.commands += PEEK(s->commands);
        t.connections += PEEK(s->connections);
        t.rejected_conn += PEEK(s->rejected_conn);
        t.net_input_bytes += PEEK(s->net_input_bytes);
        t.net_output_bytes += PEEK(s->net_output_bytes);
        t.ks.hits += PEEK(s->ks.hits);
        t.ks.misses += PEEK(s->ks.misses);
        t.ks.expired += PEEK(s->ks.expired);
        t.ks.evicted += PEEK(s->ks.evicted);
        t.total_error_replies += PEEK(s->total_error_replies);
    }
    int connected = atomic_load(&server.connected_clients);
    single(b, "shoal_connected_clients", "gauge", "Client connections open now.",
           connected > 0 ? (uint64_t)connected : 0);
    single(b, "shoal_connections_received_total", "counter", "Client connections accepted.",
           t.connections);
    single(b, "shoal_connections_rejected_total", "counter",
           "Client connections refused (maxclients).", t.rejected_conn);
    single(b, "shoal_commands_processed_total", "counter", "Commands run, all commands.",
           t.commands);
    single(b, "shoal_net_input_bytes_total", "counter", "Bytes read from clients.",
           t.net_input_bytes);
    single(b, "shoal_net_output_bytes_total", "counter", "Bytes written to clients.",
           t.net_output_bytes);
    single(b, "shoal_keyspace_hits_total", "counter", "Key lookups that found the key.",
           t.ks.hits);
    single(b, "shoal_keyspace_misses_total", "counter", "Key lookups that found no key.",
           t.ks.misses);
    single(b, "shoal_expired_keys_total", "counter", "Keys removed because their TTL ran out.",
           t.ks.expired);
    single(b, "shoal_evicted_keys_total", "counter", "Keys evicted under maxmemory.",
           t.ks.evicted);
    single(b, "shoal_error_replies_total", "counter", "Error replies sent, all codes.",
           t.total_error_replies);
}

static void emit_error(const char *code, uint64_t n, void *ctx) {
    metrics_sample(ctx, "shoal_errors_total", n, 1, "code", code);
}

static void render_errors(struct metrics_buf *b) {
    metrics_family(b, "shoal_errors_total", "counter",
                   "Error replies by error code (the first word: ERR, WRONGTYPE...).");
    stats_sum_errors(emit_error, b);
}

static void render_memory(struct metrics_buf *b) {
    single(b, "shoal_memory_used_bytes", "gauge", "Bytes allocated by the server (used_memory).",
           memory_used());
    single(b, "shoal_memory_rss_bytes", "gauge", "Resident set size of the process.",
           memory_rss());
    single(b, "shoal_memory_max_bytes", "gauge", "The maxmemory limit, 0 for none.",
           cfg.maxmemory);
}

static void render_keyspace(struct metrics_buf *b) {
    int n = store_db_count();
    char db[16];
    metrics_family(b, "shoal_db_keys", "gauge", "Keys per database (database 0 and non-empty ones).");
    for (int i = 0; i < n; i++) {
        uint64_t keys = store_db_size_hint(i, 0);
        if (i && !keys) continue;
        snprintf(db, sizeof(db), "%d", i);
        metrics_sample(b, "shoal_db_keys", keys, 1, "db", db);
    }
    metrics_family(b, "shoal_db_keys_expiring", "gauge",
                   "Keys with a TTL per database (database 0 and non-empty ones).");
    for (int i = 0; i < n; i++) {
        if (i && !store_db_size_hint(i, 0)) continue;
        snprintf(db, sizeof(db), "%d", i);
        metrics_sample(b, "shoal_db_keys_expiring", store_db_size_hint(i, 1), 1, "db", db);
    }
}

/* ---- commands ---- */

struct command_totals {
    struct command_stats st;
    struct latency_row lat;
};

static int command_active(const struct command_totals *t) {
    uint64_t observed = 0;
    for (int k = 0; k < NBUCKETS; k++) observed += t->lat.buckets[k];
    return t->st.calls || t->st.failed_calls || t->st.rejected_calls || observed;
}

static void render_commands(struct metrics_buf *b) {
    int n = command_count();
    struct command_totals *t = calloc((size_t)(n ? n : 1), sizeof(*t));
    if (!t) return;
    for (int id = 0; id < n; id++) {
        for (int w = 0; w < server.nworkers; w++) {
            struct command_stats *s = &server.workers[w].cmdstats[id];
            t[id].st.calls += PEEK(s->calls);
            t[id].st.failed_calls += PEEK(s->failed_calls);
            t[id].st.rejected_calls += PEEK(s->rejected_calls);
        }
        for (int w = 0; rows && id < rows_commands && w < rows_workers; w++) {
            struct latency_row *r = &rows[w][id];
            for (int k = 0; k < NBUCKETS; k++) t[id].lat.buckets[k] += PEEK(r->buckets[k]);
            t[id].lat.sum_us += PEEK(r->sum_us);
        }
    }

    static const struct {
        const char *name, *help;
        size_t offset;
    } counters[] = {
        {"shoal_command_calls_total", "Calls of each command (subcommands as \"config|get\").",
         offsetof(struct command_stats, calls)},
        {"shoal_command_failed_calls_total", "Calls of each command that replied an error.",
         offsetof(struct command_stats, failed_calls)},
        {"shoal_command_rejected_calls_total",
         "Calls of each command refused before running (arity, auth, MULTI...).",
         offsetof(struct command_stats, rejected_calls)},
    };
    for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
        metrics_family(b, counters[c].name, "counter", counters[c].help);
        for (int id = 0; id < n; id++) {
            if (!command_active(&t[id])) continue;
            uint64_t v;
            memcpy(&v, (const char *)&t[id].st + counters[c].offset, sizeof(v));
            metrics_sample(b, counters[c].name, v, 1, "cmd", command_by_id(id)->fullname);
        }
    }

    const char *h = "shoal_command_duration_seconds";
    metrics_family(b, h, "histogram", "Time each command took to run, in seconds.");
    for (int id = 0; id < n; id++) {
        if (!command_active(&t[id])) continue;
        const char *cmd = command_by_id(id)->fullname;
        uint64_t cumulative = 0;
        for (int k = 0; k < NBUCKETS; k++) {
            cumulative += t[id].lat.buckets[k];
            metrics_sample(b, "shoal_command_duration_seconds_bucket", cumulative, 2, "cmd", cmd,
                           "le", bound_le[k]);
        }
        metrics_sample_f(b, "shoal_command_duration_seconds_sum",
                         (double)t[id].lat.sum_us / 1e6, 1, "cmd", cmd);
        metrics_sample(b, "shoal_command_duration_seconds_count", cumulative, 1, "cmd", cmd);
    }
    free(t);
}

/* ---- cluster ---- */

static void render_cluster(struct metrics_buf *b) {
    single(b, "shoal_cluster_enabled", "gauge", "1 when cluster-enabled is yes.",
           cluster_enabled() ? 1 : 0);
    struct cluster_view *v = cluster_enabled() ? cluster_view_get() : NULL;
    if (!v) return;

    static const char *const state_names[] = {"alive", "suspect", "dead", "left"};
    uint64_t by_state[4] = {0};
    for (size_t i = 0; i < v->nnodes; i++)
        if ((unsigned)v->nodes[i].state < 4) by_state[v->nodes[i].state]++;
    metrics_family(b, "shoal_cluster_members", "gauge",
                   "Members this node knows (itself included), by SWIM state.");
    for (int s = 0; s < 4; s++)
        metrics_sample(b, "shoal_cluster_members", by_state[s], 1, "state", state_names[s]);

    char version[17];
    snprintf(version, sizeof(version), "%016llx", (unsigned long long)v->version);
    metrics_family(b, "shoal_cluster_slotmap_info", "gauge",
                   "Always 1; version is the slot map's, equal on nodes that agree on the owners.");
    metrics_sample(b, "shoal_cluster_slotmap_info", 1, 1, "version", version);
    single(b, "shoal_cluster_slotmap_owners", "gauge", "Members the slot map spreads slots over.",
           v->map ? v->map->nnodes : 0);

    const struct swim_stats *st = &v->stats;
    static const struct {
        const char *name, *help;
        size_t offset;
    } swim[] = {
        {"shoal_cluster_swim_probes_total", "Direct SWIM probes sent.",
         offsetof(struct swim_stats, probes)},
        {"shoal_cluster_swim_indirect_probes_total", "Indirect SWIM probes asked of others.",
         offsetof(struct swim_stats, indirect_probes)},
        {"shoal_cluster_swim_suspicions_total", "Members this node started to suspect.",
         offsetof(struct swim_stats, suspicions)},
        {"shoal_cluster_swim_refutations_total", "Suspicions of this node it refuted.",
         offsetof(struct swim_stats, refutations)},
        {"shoal_cluster_swim_deaths_total", "Members declared dead.",
         offsetof(struct swim_stats, deaths)},
        {"shoal_cluster_swim_pushpulls_total", "Full state exchanges merged.",
         offsetof(struct swim_stats, pushpulls)},
        {"shoal_cluster_swim_packets_received_total", "SWIM packets received.",
         offsetof(struct swim_stats, packets_in)},
        {"shoal_cluster_swim_packets_sent_total", "SWIM packets sent.",
         offsetof(struct swim_stats, packets_out)},
        {"shoal_cluster_swim_received_bytes_total", "SWIM bytes received.",
         offsetof(struct swim_stats, bytes_in)},
        {"shoal_cluster_swim_sent_bytes_total", "SWIM bytes sent.",
         offsetof(struct swim_stats, bytes_out)},
        {"shoal_cluster_swim_dropped_total",
         "Cluster packets and exchanges dropped: malformed, truncated, foreign.",
         offsetof(struct swim_stats, dropped)},
    };
    for (size_t i = 0; i < sizeof(swim) / sizeof(swim[0]); i++) {
        uint64_t value;
        memcpy(&value, (const char *)st + swim[i].offset, sizeof(value));
        single(b, swim[i].name, "counter", swim[i].help, value);
    }
    single(b, "shoal_cluster_swim_awareness", "gauge",
           "Lifeguard's local health multiplier (0 is healthy).",
           st->awareness > 0 ? (uint64_t)st->awareness : 0);
    cluster_view_put(v);
}

char *metrics_render(size_t *len) {
    struct metrics_buf b = {{0}};
    render_server(&b);
    render_stats(&b);
    render_errors(&b);
    render_memory(&b);
    render_keyspace(&b);
    render_commands(&b);
    render_cluster(&b);
    if (forward_metrics_emit) forward_metrics_emit(&b);
    *len = b.sb.len;
    if (!b.sb.buf) {
        b.sb.buf = malloc(1);
        if (b.sb.buf) b.sb.buf[0] = '\0';
    }
    return b.sb.buf;
}
