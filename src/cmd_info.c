/* cmd_info.c -- INFO: the server's state in Redis 7.0's sections, field
 * names and order, with shoal's true values. Fields Redis has for features
 * shoal lacks (persistence, replication, pub/sub...) are shown with the
 * values Redis itself shows when those features are idle, where a client
 * library might look for them; a section shoal has nothing for
 * (latencystats) is omitted.
 *
 * Counters are per worker thread and summed here; the rates
 * (instantaneous_*) come from samples info_cron() takes, as Redis's
 * serverCron does. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cgroup.h"
#include "client_info.h"
#include "cluster.h"
#include "forward.h"
#include "commands.h"
#include "lazyfree.h"
#include "memory.h"
#include "server.h"
#include "shutdown.h"
#include "stats.h"
#include "store.h"
#include "util.h"

/* A relaxed read of a counter another thread may be writing. */
#define PEEK(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* ---- string building ---- */

void sb_append(struct strbuf *sb, const char *s, size_t len) {
    if (sb->len + len + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 1024;
        while (cap < sb->len + len + 1) cap *= 2;
        char *n = realloc(sb->buf, cap);
        if (!n) abort();
        sb->buf = n;
        sb->cap = cap;
    }
    memcpy(sb->buf + sb->len, s, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void sb_printf(struct strbuf *sb, const char *fmt, ...) {
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof(small)) {
        sb_append(sb, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) abort();
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_append(sb, big, (size_t)n);
    free(big);
}

/* ---- totals over the workers ---- */

static void sum_worker_stats(struct worker_stats *t) {
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < server.nworkers; i++) {
        struct worker_stats *s = &server.workers[i].stats;
        t->commands += PEEK(s->commands);
        t->connections += PEEK(s->connections);
        t->rejected_conn += PEEK(s->rejected_conn);
        t->net_input_bytes += PEEK(s->net_input_bytes);
        t->net_output_bytes += PEEK(s->net_output_bytes);
        t->ks.hits += PEEK(s->ks.hits);
        t->ks.misses += PEEK(s->ks.misses);
        t->ks.expired += PEEK(s->ks.expired);
        t->ks.evicted += PEEK(s->ks.evicted);
        t->total_error_replies += PEEK(s->total_error_replies);
        t->unexpected_error_replies += PEEK(s->unexpected_error_replies);
    }
}

/* ---- sampled metrics (Redis's trackInstantaneousMetric) ---- */

#define METRIC_SAMPLES 16
#define METRIC_PERIOD_MS 100
enum { METRIC_COMMANDS, METRIC_NET_INPUT, METRIC_NET_OUTPUT, METRIC_COUNT };

static struct {
    pthread_mutex_t lock;
    int64_t last_ms;                        /* 0 until the first sample */
    uint64_t last[METRIC_COUNT];
    uint64_t samples[METRIC_COUNT][METRIC_SAMPLES]; /* per second */
    int idx;
} metrics = {.lock = PTHREAD_MUTEX_INITIALIZER};

static atomic_uint_fast64_t peak_memory;

static uint64_t used_memory(void) {
    uint_fast64_t used = memory_used();
    uint_fast64_t peak = atomic_load(&peak_memory);
    while (used > peak && !atomic_compare_exchange_weak(&peak_memory, &peak, used)) {
    }
    return used;
}

void info_cron(int64_t now_ms) {
    struct worker_stats t;
    used_memory();
    sum_worker_stats(&t);
    uint64_t cur[METRIC_COUNT] = {t.commands, t.net_input_bytes, t.net_output_bytes};

    pthread_mutex_lock(&metrics.lock);
    int64_t elapsed = now_ms - metrics.last_ms;
    if (metrics.last_ms == 0 || elapsed >= METRIC_PERIOD_MS) {
        for (int m = 0; m < METRIC_COUNT; m++) {
            /* counters go back to 0 on CONFIG RESETSTAT */
            uint64_t delta = cur[m] >= metrics.last[m] ? cur[m] - metrics.last[m] : 0;
            if (metrics.last_ms)
                metrics.samples[m][metrics.idx] = delta * 1000 / (uint64_t)elapsed;
            metrics.last[m] = cur[m];
        }
        if (metrics.last_ms) metrics.idx = (metrics.idx + 1) % METRIC_SAMPLES;
        metrics.last_ms = now_ms;
    }
    pthread_mutex_unlock(&metrics.lock);
}

/* Mean of the samples: a rate per second over the last 1.6 s. */
static uint64_t metric_rate(int m) {
    uint64_t sum = 0;
    pthread_mutex_lock(&metrics.lock);
    for (int i = 0; i < METRIC_SAMPLES; i++) sum += metrics.samples[m][i];
    pthread_mutex_unlock(&metrics.lock);
    return sum / METRIC_SAMPLES;
}

/* ---- sections ---- */

static void human(char *buf, size_t size, uint64_t n) {
    bytes_to_human(buf, size, (unsigned long long)n);
}

static const char *multiplexing_api(void) {
    switch (ev_backend(server.workers[0].loop)) {
    case EVBACKEND_EPOLL: return "epoll";
    case EVBACKEND_POLL: return "poll";
    case EVBACKEND_SELECT: return "select";
    case EVBACKEND_KQUEUE: return "kqueue";
    case EVBACKEND_PORT: return "evport";
    case EVBACKEND_LINUXAIO: return "linuxaio";
    case EVBACKEND_IOURING: return "io_uring";
    default: return "unknown";
    }
}

static void section_server(struct strbuf *sb) {
    struct utsname u;
    char exe[4096];
    int64_t now_us = ustime();
    int64_t uptime = (now_us / 1000 - server.start_ms) / 1000;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

    if (n > 0) exe[n] = '\0';
    else snprintf(exe, sizeof(exe), "%s", server.executable ? server.executable : "");
    if (uname(&u) < 0) memset(&u, 0, sizeof(u));
    sb_printf(sb,
              "# Server\r\n"
              "redis_version:%s\r\n"
              "shoal_version:%s\r\n"
              "redis_git_sha1:00000000\r\n"
              "redis_git_dirty:0\r\n"
              "redis_mode:standalone\r\n"
              "os:%s %s %s\r\n"
              "arch_bits:%d\r\n"
              "monotonic_clock:POSIX clock_gettime\r\n"
              "multiplexing_api:%s\r\n"
              "atomicvar_api:c11-builtin\r\n"
              "gcc_version:%d.%d.%d\r\n"
              "process_id:%d\r\n"
              "process_supervised:no\r\n"
              "run_id:%s\r\n"
              "tcp_port:%d\r\n"
              "server_time_usec:%lld\r\n"
              "uptime_in_seconds:%lld\r\n"
              "uptime_in_days:%lld\r\n"
              "hz:%d\r\n"
              "configured_hz:%d\r\n"
              "executable:%s\r\n"
              "config_file:%s\r\n"
              "io_threads_active:%d\r\n",
              REDIS_COMPAT_VERSION, SHOAL_VERSION, u.sysname, u.release, u.machine,
              (int)(sizeof(long) * 8), multiplexing_api(),
#ifdef __GNUC__
              __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
              0, 0, 0,
#endif
              (int)server.pid, server.runid, cfg.port, (long long)now_us, (long long)uptime,
              (long long)(uptime / 86400), cfg.hz, cfg.hz, exe,
              cfg.config_file ? cfg.config_file : "", cfg.threads > 1);
    /* shoal's: where the thread count came from (affinity, cgroup-quota,
     * file, env, command-line); Redis's field while shutting down */
    sb_printf(sb, "threads:%d\r\nthreads_source:%s\r\n", cfg.threads, config_source("threads"));
    int64_t shutdown_ms = shutdown_remaining_ms();
    if (shutdown_ms >= 0) sb_printf(sb, "shutdown_in_milliseconds:%lld\r\n", (long long)shutdown_ms);
}

static void section_clients(struct strbuf *sb) {
    struct clients_summary cs;
    clients_summarize(&cs);
    sb_printf(sb,
              "# Clients\r\n"
              "connected_clients:%d\r\n"
              "cluster_connections:0\r\n"
              "maxclients:%d\r\n"
              "client_recent_max_input_buffer:%llu\r\n"
              "client_recent_max_output_buffer:%llu\r\n"
              "blocked_clients:0\r\n"
              "tracking_clients:0\r\n"
              "clients_in_timeout_table:0\r\n",
              atomic_load(&server.connected_clients), cfg.maxclients,
              (unsigned long long)cs.max_input_buffer, (unsigned long long)cs.max_output_buffer);
}

static const char *maxmemory_policy_name(int policy) {
    switch (policy) {
    case MAXMEMORY_ALLKEYS_LRU: return "allkeys-lru";
    case MAXMEMORY_VOLATILE_LRU: return "volatile-lru";
    case MAXMEMORY_ALLKEYS_LFU: return "allkeys-lfu";
    case MAXMEMORY_VOLATILE_LFU: return "volatile-lfu";
    case MAXMEMORY_ALLKEYS_RANDOM: return "allkeys-random";
    case MAXMEMORY_VOLATILE_RANDOM: return "volatile-random";
    case MAXMEMORY_VOLATILE_TTL: return "volatile-ttl";
    default: return "noeviction";
    }
}

static double ratio(uint64_t a, uint64_t b) {
    return b ? (double)a / (double)b : 0;
}

static long long diff(uint64_t a, uint64_t b) {
    return (long long)a - (long long)b;
}

static void section_memory(struct strbuf *sb) {
    struct allocator_stats as;
    struct clients_summary cs;
    uint64_t used = used_memory(), peak = atomic_load(&peak_memory);
    uint64_t rss = memory_rss(), dataset = store_bytes();
    uint64_t sysmem = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);
    char used_h[32], rss_h[32], peak_h[32], sys_h[32], max_h[32];

    memory_allocator_stats(&as);
    clients_summarize(&cs);
    human(used_h, sizeof(used_h), used);
    human(rss_h, sizeof(rss_h), rss);
    human(peak_h, sizeof(peak_h), peak);
    human(sys_h, sizeof(sys_h), sysmem);
    human(max_h, sizeof(max_h), cfg.maxmemory);

    sb_printf(sb,
              "# Memory\r\n"
              "used_memory:%llu\r\n"
              "used_memory_human:%s\r\n"
              "used_memory_rss:%llu\r\n"
              "used_memory_rss_human:%s\r\n"
              "used_memory_peak:%llu\r\n"
              "used_memory_peak_human:%s\r\n"
              "used_memory_peak_perc:%.2f%%\r\n"
              "used_memory_overhead:%llu\r\n"
              "used_memory_dataset:%llu\r\n",
              (unsigned long long)used, used_h, (unsigned long long)rss, rss_h,
              (unsigned long long)peak, peak_h, ratio(used, peak) * 100,
              (unsigned long long)(used > dataset ? used - dataset : 0),
              (unsigned long long)dataset);
#ifndef SHOAL_NO_JEMALLOC
    sb_printf(sb,
              "allocator_allocated:%llu\r\n"
              "allocator_active:%llu\r\n"
              "allocator_resident:%llu\r\n",
              (unsigned long long)as.allocated, (unsigned long long)as.active,
              (unsigned long long)as.resident);
#endif
    sb_printf(sb,
              "total_system_memory:%llu\r\n"
              "total_system_memory_human:%s\r\n"
              "maxmemory:%llu\r\n"
              "maxmemory_human:%s\r\n"
              "maxmemory_policy:%s\r\n",
              (unsigned long long)sysmem, sys_h, cfg.maxmemory, max_h,
              maxmemory_policy_name(cfg.maxmemory_policy));
    /* shoal's: where maxmemory and its policy came from (default, cgroup,
     * file, env, command-line, config-set), and the cgroup limit seen */
    sb_printf(sb,
              "maxmemory_source:%s\r\n"
              "maxmemory_policy_source:%s\r\n"
              "cgroup_memory_limit:%llu\r\n",
              config_source("maxmemory"), config_source("maxmemory-policy"),
              (unsigned long long)cgroup_memory_limit());
#ifndef SHOAL_NO_JEMALLOC
    sb_printf(sb,
              "allocator_frag_ratio:%.2f\r\n"
              "allocator_frag_bytes:%lld\r\n"
              "allocator_rss_ratio:%.2f\r\n"
              "allocator_rss_bytes:%lld\r\n"
              "rss_overhead_ratio:%.2f\r\n"
              "rss_overhead_bytes:%lld\r\n",
              ratio(as.active, as.allocated), diff(as.active, as.allocated),
              ratio(as.resident, as.active), diff(as.resident, as.active),
              ratio(rss, as.resident), diff(rss, as.resident));
#endif
    sb_printf(sb,
              "mem_fragmentation_ratio:%.2f\r\n"
              "mem_fragmentation_bytes:%lld\r\n"
              "mem_clients_slaves:0\r\n"
              "mem_clients_normal:%llu\r\n"
              "mem_allocator:%s\r\n"
              "active_defrag_running:0\r\n"
              "lazyfree_pending_objects:%lu\r\n",
              ratio(rss, used), diff(rss, used), (unsigned long long)cs.memory,
              memory_allocator_name(), lazyfree_pending());
}

static void section_persistence(struct strbuf *sb) {
    sb_printf(sb, "# Persistence\r\n"
                  "loading:0\r\n"
                  "async_loading:0\r\n"
                  "rdb_bgsave_in_progress:0\r\n"
                  "aof_enabled:0\r\n"
                  "aof_rewrite_in_progress:0\r\n");
}

static void section_stats(struct strbuf *sb) {
    struct worker_stats t;
    sum_worker_stats(&t);
    sb_printf(sb,
              "# Stats\r\n"
              "total_connections_received:%llu\r\n"
              "total_commands_processed:%llu\r\n"
              "instantaneous_ops_per_sec:%llu\r\n"
              "total_net_input_bytes:%llu\r\n"
              "total_net_output_bytes:%llu\r\n"
              "total_net_repl_input_bytes:0\r\n"
              "total_net_repl_output_bytes:0\r\n"
              "instantaneous_input_kbps:%.2f\r\n"
              "instantaneous_output_kbps:%.2f\r\n"
              "instantaneous_input_repl_kbps:0.00\r\n"
              "instantaneous_output_repl_kbps:0.00\r\n"
              "rejected_connections:%llu\r\n"
              "sync_full:0\r\n"
              "sync_partial_ok:0\r\n"
              "sync_partial_err:0\r\n"
              "expired_keys:%llu\r\n"
              "evicted_keys:%llu\r\n"
              "evicted_clients:0\r\n"
              "keyspace_hits:%llu\r\n"
              "keyspace_misses:%llu\r\n"
              "pubsub_channels:0\r\n"
              "pubsub_patterns:0\r\n"
              "pubsubshard_channels:0\r\n"
              "latest_fork_usec:0\r\n"
              "total_forks:0\r\n"
              "unexpected_error_replies:%llu\r\n"
              "total_error_replies:%llu\r\n",
              (unsigned long long)t.connections, (unsigned long long)t.commands,
              (unsigned long long)metric_rate(METRIC_COMMANDS),
              (unsigned long long)t.net_input_bytes, (unsigned long long)t.net_output_bytes,
              (double)metric_rate(METRIC_NET_INPUT) / 1024,
              (double)metric_rate(METRIC_NET_OUTPUT) / 1024,
              (unsigned long long)t.rejected_conn, (unsigned long long)t.ks.expired,
              (unsigned long long)t.ks.evicted, (unsigned long long)t.ks.hits,
              (unsigned long long)t.ks.misses, (unsigned long long)t.unexpected_error_replies,
              (unsigned long long)t.total_error_replies);
}

static char master_replid[41];

static void make_replid(void) {
    random_hex(master_replid, 40);
    master_replid[40] = '\0';
}

static void section_replication(struct strbuf *sb) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, make_replid);
    sb_printf(sb,
              "# Replication\r\n"
              "role:master\r\n"
              "connected_slaves:0\r\n"
              "master_failover_state:no-failover\r\n"
              "master_replid:%s\r\n"
              "master_replid2:0000000000000000000000000000000000000000\r\n"
              "master_repl_offset:0\r\n"
              "second_repl_offset:-1\r\n"
              "repl_backlog_active:0\r\n"
              "repl_backlog_first_byte_offset:0\r\n"
              "repl_backlog_histlen:0\r\n",
              master_replid);
}

static void section_cpu(struct strbuf *sb) {
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    sb_printf(sb,
              "# CPU\r\n"
              "used_cpu_sys:%ld.%06ld\r\n"
              "used_cpu_user:%ld.%06ld\r\n"
              "used_cpu_sys_children:%ld.%06ld\r\n"
              "used_cpu_user_children:%ld.%06ld\r\n",
              (long)self.ru_stime.tv_sec, (long)self.ru_stime.tv_usec,
              (long)self.ru_utime.tv_sec, (long)self.ru_utime.tv_usec,
              (long)children.ru_stime.tv_sec, (long)children.ru_stime.tv_usec,
              (long)children.ru_utime.tv_sec, (long)children.ru_utime.tv_usec);
}

static void section_modules(struct strbuf *sb) {
    sb_printf(sb, "# Modules\r\n");
}

static void section_commandstats(struct strbuf *sb) {
    sb_printf(sb, "# Commandstats\r\n");
    for (int id = 0; id < command_count(); id++) {
        struct command_stats t = {0};
        for (int i = 0; i < server.nworkers; i++) {
            struct command_stats *s = &server.workers[i].cmdstats[id];
            t.calls += PEEK(s->calls);
            t.usec += PEEK(s->usec);
            t.rejected_calls += PEEK(s->rejected_calls);
            t.failed_calls += PEEK(s->failed_calls);
        }
        if (!t.calls && !t.rejected_calls && !t.failed_calls) continue;
        sb_printf(sb,
                  "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                  "failed_calls=%llu\r\n",
                  command_by_id(id)->fullname, (unsigned long long)t.calls,
                  (unsigned long long)t.usec, t.calls ? (double)t.usec / (double)t.calls : 0,
                  (unsigned long long)t.rejected_calls, (unsigned long long)t.failed_calls);
    }
}

struct error_list {
    struct {
        char code[32];
        uint64_t n;
    } e[ERROR_STATS_MAX];
    int count;
};

static void collect_error(const char *code, uint64_t n, void *ctx) {
    struct error_list *l = ctx;
    if (l->count == ERROR_STATS_MAX) return;
    snprintf(l->e[l->count].code, sizeof(l->e[0].code), "%s", code);
    l->e[l->count].n = n;
    l->count++;
}

static int by_code(const void *a, const void *b) {
    return strcmp(a, b);    /* the code is each element's first member */
}

/* Sorted by code, as Redis's radix tree of error codes lists them. */
static void section_errorstats(struct strbuf *sb) {
    struct error_list *l = calloc(1, sizeof(*l));
    if (!l) abort();
    stats_sum_errors(collect_error, l);
    qsort(l->e, (size_t)l->count, sizeof(l->e[0]), by_code);
    sb_printf(sb, "# Errorstats\r\n");
    for (int i = 0; i < l->count; i++)
        sb_printf(sb, "errorstat_%s:count=%llu\r\n", l->e[i].code, (unsigned long long)l->e[i].n);
    free(l);
}

/* Redis's cluster_enabled, then, when the cluster is on, shoal's own
 * fields: members by SWIM state, the slot map (version: 16 hex digits,
 * equal on every node that sees the same owners; owners: the members the
 * map is built over), and the SWIM counters as of the current view. */
static void section_cluster(struct strbuf *sb) {
    struct cluster_view *v = cluster_enabled() ? cluster_view_get() : NULL;
    sb_printf(sb, "# Cluster\r\ncluster_enabled:%d\r\n", cluster_enabled() ? 1 : 0);
    if (!v) return;
    size_t by_state[4] = {0};
    for (size_t i = 0; i < v->nnodes; i++)
        if ((unsigned)v->nodes[i].state < 4) by_state[v->nodes[i].state]++;
    const struct swim_stats *st = &v->stats;
    sb_printf(sb,
              "cluster_members:%zu\r\n"
              "cluster_members_alive:%zu\r\n"
              "cluster_members_suspect:%zu\r\n"
              "cluster_members_dead:%zu\r\n"
              "cluster_members_left:%zu\r\n"
              "cluster_slotmap_version:%016llx\r\n"
              "cluster_slotmap_owners:%zu\r\n"
              "cluster_swim_packets_in:%llu\r\n"
              "cluster_swim_packets_out:%llu\r\n"
              "cluster_swim_bytes_in:%llu\r\n"
              "cluster_swim_bytes_out:%llu\r\n"
              "cluster_swim_dropped:%llu\r\n"
              "cluster_swim_probes:%llu\r\n"
              "cluster_swim_indirect_probes:%llu\r\n"
              "cluster_swim_suspicions:%llu\r\n"
              "cluster_swim_refutations:%llu\r\n"
              "cluster_swim_deaths:%llu\r\n"
              "cluster_swim_pushpulls:%llu\r\n"
              "cluster_swim_awareness:%d\r\n",
              v->nnodes, by_state[SWIM_ALIVE], by_state[SWIM_SUSPECT], by_state[SWIM_DEAD],
              by_state[SWIM_LEFT], (unsigned long long)v->version,
              v->map ? v->map->nnodes : (size_t)0, (unsigned long long)st->packets_in,
              (unsigned long long)st->packets_out, (unsigned long long)st->bytes_in,
              (unsigned long long)st->bytes_out, (unsigned long long)st->dropped,
              (unsigned long long)st->probes, (unsigned long long)st->indirect_probes,
              (unsigned long long)st->suspicions, (unsigned long long)st->refutations,
              (unsigned long long)st->deaths, (unsigned long long)st->pushpulls, st->awareness);
    cluster_view_put(v);
    struct forward_stats fs;
    forward_stats(&fs);
    sb_printf(sb,
              "cluster_keys:%lld\r\n"
              "cluster_forwarded_requests:%llu\r\n"
              "cluster_forward_fanouts:%llu\r\n"
              "cluster_forward_timeouts:%llu\r\n"
              "cluster_forward_errors:%llu\r\n"
              "cluster_peer_writes:%llu\r\n",
              fs.keys < 0 ? 0 : fs.keys, fs.forwarded, fs.fanouts, fs.timeouts, fs.errors,
              fs.peer_writes);
}

static void section_keyspace(struct strbuf *sb) {
    sb_printf(sb, "# Keyspace\r\n");
    for (int db = 0; db < store_db_count(); db++) {
        uint64_t keys = store_db_size(db);
        if (!keys) continue;
        sb_printf(sb, "db%d:keys=%llu,expires=%llu,avg_ttl=0\r\n", db, (unsigned long long)keys,
                  (unsigned long long)store_db_expires(db));
    }
}

/* In Redis's order. "modules" and "module_list" both name the list of
 * modules; every section but commandstats is in the default set. */
static const struct section {
    const char *name, *alias;
    void (*gen)(struct strbuf *sb);
    int is_default;
} sections[] = {
    {"server", NULL, section_server, 1},
    {"clients", NULL, section_clients, 1},
    {"memory", NULL, section_memory, 1},
    {"persistence", NULL, section_persistence, 1},
    {"stats", NULL, section_stats, 1},
    {"replication", NULL, section_replication, 1},
    {"cpu", NULL, section_cpu, 1},
    {"modules", "module_list", section_modules, 1},
    {"commandstats", NULL, section_commandstats, 0},
    {"errorstats", NULL, section_errorstats, 1},
    {"cluster", NULL, section_cluster, 1},
    {"keyspace", NULL, section_keyspace, 1},
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/* Which sections the arguments ask for (case-insensitive; unknown names
 * select nothing). */
static void select_sections(struct client *c, int *want) {
    for (size_t s = 0; s < NSECTIONS; s++) want[s] = c->argc == 1 && sections[s].is_default;
    for (int i = 1; i < c->argc; i++) {
        const char *a = c->argv[i].ptr;
        int all = !strcasecmp(a, "all") || !strcasecmp(a, "everything");
        int dflt = !strcasecmp(a, "default");
        for (size_t s = 0; s < NSECTIONS; s++) {
            if (all || (dflt && sections[s].is_default) || !strcasecmp(a, sections[s].name) ||
                (sections[s].alias && !strcasecmp(a, sections[s].alias)))
                want[s] = 1;
        }
    }
}

void cmd_info(struct client *c) {
    int want[NSECTIONS];
    struct strbuf sb = {0};
    int shown = 0;

    select_sections(c, want);
    for (size_t s = 0; s < NSECTIONS; s++) {
        if (!want[s]) continue;
        if (shown++) sb_append(&sb, "\r\n", 2);
        sections[s].gen(&sb);
    }
    reply_verbatim(c, sb.buf ? sb.buf : "", sb.len, "txt");
    free(sb.buf);
}
