/* cgroup.c -- cgroup v2/v1 memory and CPU limits, and the defaults shoal
 * derives from them. See cgroup.h for where the files are looked for. */
#include "cgroup.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define PROC_SELF_CGROUP "/proc/self/cgroup"
/* v1's "no limit" is LLONG_MAX rounded down to a page; nothing real comes
 * near 2^62 bytes. */
#define V1_NO_LIMIT (1ULL << 62)

static struct cgroup_limits seen;

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The first line of dir/name, without its newline; -1 if unreadable. */
static int read_line(const char *dir, const char *name, char *buf, size_t len) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) return -1;
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok) return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* This process's cgroup path from /proc/self/cgroup: the v2 line ("0::")
 * when controller is NULL, else the v1 line listing that controller. "/"
 * when there is none, or when it is not inside our view of the tree (a
 * cgroup namespace shows an outside cgroup as "/.."). */
static void self_path(const char *controller, char *out, size_t outlen) {
    char line[4096];
    FILE *f = fopen(PROC_SELF_CGROUP, "r");

    snprintf(out, outlen, "/");
    if (!f) return;
    while (fgets(line, sizeof(line), f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2) continue;
        *c1 = *c2 = '\0';
        char *ctrls = c1 + 1, *path = c2 + 1, *save = NULL;
        int match = 0;
        path[strcspn(path, "\n")] = '\0';
        if (!controller) {
            match = !strcmp(line, "0") && ctrls[0] == '\0';
        } else {
            for (char *t = strtok_r(ctrls, ",", &save); t && !match; t = strtok_r(NULL, ",", &save))
                match = !strcmp(t, controller);
        }
        if (!match) continue;
        if (path[0] == '/' && !strstr(path, "/..")) snprintf(out, outlen, "%s", path);
        break;
    }
    fclose(f);
}

/* The smallest positive limit rd() finds in base+path and each parent up
 * to base; 0 when none has one. */
static double walk_min(const char *base, const char *path, double (*rd)(const char *dir)) {
    char rel[PATH_MAX], dir[PATH_MAX];
    double best = 0;

    snprintf(rel, sizeof(rel), "%s", path);
    for (;;) {
        int n = snprintf(dir, sizeof(dir), "%s%s", base, strcmp(rel, "/") ? rel : "");
        if (n > 0 && n < (int)sizeof(dir)) {
            double v = rd(dir);
            if (v > 0 && (best == 0 || v < best)) best = v;
        }
        char *slash = strrchr(rel, '/');
        if (!slash || !strcmp(rel, "/")) break;
        if (slash == rel) slash[1] = '\0';   /* "/a" -> "/" */
        else *slash = '\0';
    }
    return best;
}

static double v2_memory(const char *dir) {
    char buf[64];
    if (read_line(dir, "memory.max", buf, sizeof(buf)) < 0 || !strncmp(buf, "max", 3)) return 0;
    return strtod(buf, NULL);
}

static double v2_cpus(const char *dir) {
    char buf[64];
    double quota, period;
    if (read_line(dir, "cpu.max", buf, sizeof(buf)) < 0 || !strncmp(buf, "max", 3)) return 0;
    if (sscanf(buf, "%lf %lf", &quota, &period) != 2 || quota <= 0 || period <= 0) return 0;
    return quota / period;
}

static double v1_memory(const char *dir) {
    char buf[64];
    if (read_line(dir, "memory.limit_in_bytes", buf, sizeof(buf)) < 0) return 0;
    unsigned long long v = strtoull(buf, NULL, 10);
    return v >= V1_NO_LIMIT ? 0 : (double)v;
}

static double v1_cpus(const char *dir) {
    char q[64], p[64];
    if (read_line(dir, "cpu.cfs_quota_us", q, sizeof(q)) < 0 ||
        read_line(dir, "cpu.cfs_period_us", p, sizeof(p)) < 0)
        return 0;
    double quota = strtod(q, NULL), period = strtod(p, NULL);
    return quota > 0 && period > 0 ? quota / period : 0;
}

void cgroup_read(const char *root, struct cgroup_limits *out) {
    char path[PATH_MAX], base[PATH_MAX];

    memset(out, 0, sizeof(*out));
    if (!root || !root[0]) return;
    snprintf(base, sizeof(base), "%s/cgroup.controllers", root);
    if (exists(base)) {
        out->version = 2;
        self_path(NULL, path, sizeof(path));
        out->memory = (uint64_t)walk_min(root, path, v2_memory);
        out->cpus = walk_min(root, path, v2_cpus);
        return;
    }
    snprintf(base, sizeof(base), "%s/memory", root);
    if (is_dir(base)) {
        out->version = 1;
        self_path("memory", path, sizeof(path));
        out->memory = (uint64_t)walk_min(base, path, v1_memory);
    }
    snprintf(base, sizeof(base), "%s/cpu", root);
    if (is_dir(base)) {
        out->version = 1;
        self_path("cpu", path, sizeof(path));
        out->cpus = walk_min(base, path, v1_cpus);
    }
}

void cgroup_apply_defaults(void) {
    uint64_t phys = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE);

    cgroup_read(cfg.cgroup_root, &seen);
    if (!seen.version) return;
    if (seen.memory)
        serverlog(LL_NOTICE, "cgroup v%d (%s): memory limit %llu bytes (%.1f MB)", seen.version,
                  cfg.cgroup_root, (unsigned long long)seen.memory, (double)seen.memory / 1048576.0);
    else
        serverlog(LL_VERBOSE, "cgroup v%d (%s): no memory limit", seen.version, cfg.cgroup_root);
    if (seen.cpus > 0)
        serverlog(LL_NOTICE, "cgroup v%d (%s): CPU quota %.2f CPUs", seen.version, cfg.cgroup_root,
                  seen.cpus);

    if (!seen.memory) return;
    if (phys && seen.memory >= phys) {
        serverlog(LL_NOTICE, "The cgroup memory limit is not below the machine's memory (%llu "
                  "bytes): it sets no maxmemory default", (unsigned long long)phys);
        return;
    }
    if (strcmp(config_source("maxmemory"), "default") != 0) {
        serverlog(LL_NOTICE, "maxmemory %llu, as set (%s), not derived from the cgroup limit",
                  (unsigned long long)cfg.maxmemory, config_source("maxmemory"));
        return;
    }
    char value[32];
    snprintf(value, sizeof(value), "%llu",
             (unsigned long long)(seen.memory / 100 * CGROUP_MAXMEMORY_PERCENT +
                                  seen.memory % 100 * CGROUP_MAXMEMORY_PERCENT / 100));
    config_set_derived("maxmemory", value, "cgroup");
    int policy = !strcmp(config_source("maxmemory-policy"), "default");
    if (policy) config_set_derived("maxmemory-policy", "allkeys-lru", "cgroup");
    serverlog(LL_NOTICE, "maxmemory defaults to %d%% of the cgroup memory limit: %llu bytes "
              "(%.1f MB)%s", CGROUP_MAXMEMORY_PERCENT, (unsigned long long)cfg.maxmemory,
              (double)cfg.maxmemory / 1048576.0,
              policy ? ", maxmemory-policy to allkeys-lru" : "");
}

uint64_t cgroup_memory_limit(void) {
    return seen.memory;
}
