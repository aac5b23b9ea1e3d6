/* main.c -- shoal-server's entry point: command line, configuration,
 * start-up in dependency order, and orderly shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "cluster.h"
#include "cpus.h"
#include "lazyfree.h"
#include "listener.h"
#include "log.h"
#include "memory.h"
#include "metrics.h"
#include "multi.h"
#include "server.h"
#include "shutdown.h"
#include "util.h"
#include "worker.h"

struct server server;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: ./shoal-server [/path/to/redis-compat.conf] [options]\n"
            "       ./shoal-server -v or --version\n"
            "       ./shoal-server -h or --help\n\n"
            "Options are directives of the config file, as --name value, e.g.\n"
            "       ./shoal-server --port 7777 --threads 2\n"
            "       ./shoal-server /etc/shoal/redis-compat.conf --loglevel verbose\n");
}

/* SIGTERM/SIGINT: the graceful shutdown (shutdown.c) begins; ev_run
 * returns once the connections are drained. A second SIGINT exits now. */
static void on_signal(struct ev_loop *loop, ev_signal *w, int revents) {
    (void)loop;
    (void)revents;
    const char *name = w->signum == SIGINT ? "SIGINT" : "SIGTERM";
    if (shutdown_draining() && w->signum == SIGINT) {
        serverlog(LL_WARNING, "You insist... exiting now.");
        if (cfg.pidfile) unlink(cfg.pidfile);
        _exit(1);
    }
    serverlog(LL_WARNING, "Received %s scheduling shutdown...", name);
    shutdown_begin(name);
}

/* Threads when the config says 0: half the usable CPUs, at least one. A
 * cache usually shares its machine with the clients it serves; on 2 CPUs
 * a second server thread costs the client more than it gives (see
 * docs/BENCHMARKS.md, "threads"). */
static void default_threads(void) {
    const char *why;
    char value[16];
    int n = cpus_available(&why) / 2;
    snprintf(value, sizeof(value), "%d", n < 1 ? 1 : n);
    config_set_derived("threads", value, why);   /* INFO's threads_source */
}

static void daemonize(void) {
    if (fork() != 0) exit(0);
    setsid();
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO) close(fd);
    }
}

static void write_pidfile(void) {
    if (!cfg.pidfile) return;
    FILE *f = fopen(cfg.pidfile, "w");
    if (!f) {
        serverlog(LL_WARNING, "Failed to write PID file: %s", strerror(errno));
        return;
    }
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
}

static void save_command_line(int argc, char **argv) {
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    server.exec_argv_line = calloc(1, len);
    for (int i = 0; i < argc; i++) {
        if (i) strcat(server.exec_argv_line, " ");
        strcat(server.exec_argv_line, argv[i]);
    }
}

int main(int argc, char **argv) {
    const char *conf = NULL;
    int first_opt = 1;

    if (argc >= 2 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version"))) {
        printf("shoal-server v=%s redis-compat=%s malloc=%s\n", SHOAL_VERSION,
               REDIS_COMPAT_VERSION,
#ifdef SHOAL_NO_JEMALLOC
               "libc"
#else
               "jemalloc"
#endif
        );
        return 0;
    }
    if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strncmp(argv[1], "--", 2) != 0) {
        conf = argv[1];
        first_opt = 2;
    }
    for (int i = first_opt; i < argc; i++) {
        if (i == first_opt && strncmp(argv[i], "--", 2) != 0) {
            fprintf(stderr, "Invalid option '%s'\n", argv[i]);
            usage(stderr);
            return 1;
        }
    }

    memory_thread_init();
    pthread_setname_np(pthread_self(), "shoal-worker-0");
    server.pid = getpid();
    server.start_ms = mstime();
    server.executable = argv[0];
    save_command_line(argc, argv);
    random_hex(server.runid, 40);
    server.runid[40] = '\0';
    atomic_init(&server.next_client_id, 1);

    config_init_defaults();
    if (config_load(conf, argc - first_opt, argv + first_opt) < 0) return 1;

    if (cfg.daemonize) daemonize();
    memory_init();   /* after the fork: jemalloc's purging thread must be ours */
    if (log_open() < 0) {
        fprintf(stderr, "Can't open the log file: %s\n", strerror(errno));
        return 1;
    }
    server.pid = getpid();
    serverlog(LL_NOTICE, "oO0OoO0OoO0Oo shoal is starting oO0OoO0OoO0Oo");
    serverlog(LL_NOTICE, "shoal version=%s, redis-compat=%s, bits=%d, pid=%d, just started",
              SHOAL_VERSION, REDIS_COMPAT_VERSION, (int)(sizeof(long) * 8), (int)server.pid);
    if (conf) serverlog(LL_NOTICE, "Configuration loaded");
    else serverlog(LL_WARNING, "Warning: no config file specified, using the default config.");
    /* defaults that follow the machine: the cgroup limits, the CPUs */
    cgroup_apply_defaults();
    if (cfg.threads == 0) default_threads();
    config_on_maxmemory_policy_change();

    uint64_t seed;
    random_hex((char *)&seed, sizeof(seed));
    hash_seed(seed ^ (uint64_t)ustime());

    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* EXEC must not starve behind a stream of readers */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&server.keyspace_lock, &attr);

    signal(SIGPIPE, SIG_IGN);
    command_table_init();
    if (store_init(cfg.databases) < 0 || workers_init(cfg.threads) < 0) {
        serverlog(LL_WARNING, "Out of memory at start-up");
        return 1;
    }
    multi_init();
    shutdown_init();
    listeners_fit_maxclients();
    if (listeners_open() < 0 || cluster_start() < 0 || metrics_start() < 0) return 1;

    struct ev_loop *loop = server.workers[0].loop;
    ev_signal sigterm, sigint;
    ev_signal_init(&sigterm, on_signal, SIGTERM);
    ev_signal_init(&sigint, on_signal, SIGINT);
    ev_signal_start(loop, &sigterm);
    ev_signal_start(loop, &sigint);

    write_pidfile();
    if (lazyfree_start() < 0 || workers_start() < 0) {
        serverlog(LL_WARNING, "Can't start worker threads: %s", strerror(errno));
        return 1;
    }
    serverlog(LL_NOTICE, "Server initialized with %d worker thread%s", cfg.threads,
              cfg.threads == 1 ? "" : "s");
    serverlog(LL_NOTICE, "Ready to accept connections tcp");

    ev_run(loop, 0);

    /* Here after SIGTERM/SIGINT once the drain is over (shutdown.c: no new
     * connections, cluster left, connections idle or shutdown-timeout
     * passed; in-flight forwarded requests are waited for by the drain,
     * see drain_forwarded_inflight() there), or at once after SHUTDOWN. */
    if (!shutdown_draining()) serverlog(LL_WARNING, "User requested shutdown...");
    shutdown_finish();  /* the cluster leave has spread; no listener is left */
    workers_stop();
    lazyfree_stop();
    metrics_stop();
    if (cfg.pidfile) unlink(cfg.pidfile);
    serverlog(LL_WARNING, "shoal is now ready to exit, bye bye...");
    return 0;
}
