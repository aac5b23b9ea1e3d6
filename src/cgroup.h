/* cgroup.h -- this process's cgroup limits (v2 or v1) and the defaults
 * shoal derives from them, so that a sidecar with a memory limit evicts
 * instead of being OOM-killed.
 *
 * Where the files are, relative to the root (cgroup-root, default
 * /sys/fs/cgroup), with PATH this process's cgroup from /proc/self/cgroup
 * ("/" when the line is missing or leaves the root, e.g. "/.."):
 *
 *   v2 (the root holds cgroup.controllers):
 *       ROOT/PATH/memory.max        "max" or bytes
 *       ROOT/PATH/cpu.max           "max PERIOD" or "QUOTA PERIOD"
 *   v1 (otherwise, when ROOT/memory or ROOT/cpu exists), PATH from the
 *   memory and cpu lines respectively:
 *       ROOT/memory/PATH/memory.limit_in_bytes      bytes (huge = none)
 *       ROOT/cpu/PATH/cpu.cfs_quota_us              -1 = none
 *       ROOT/cpu/PATH/cpu.cfs_period_us
 *
 * Each file is read in PATH's directory and every parent up to the root
 * (a limit set on an enclosing cgroup applies too), and the smallest limit
 * wins. So a fake tree for tests needs only the files at its top: with
 * cgroup namespaces (the usual container), PATH is "/" anyway. */
#ifndef SHOAL_CGROUP_H
#define SHOAL_CGROUP_H

#include <stdint.h>

struct cgroup_limits {
    int version;            /* 2, 1, or 0: no cgroup file system at root */
    uint64_t memory;        /* bytes, 0 = no limit */
    double cpus;            /* CPU quota in CPUs, 0 = no limit */
};

/* Reads the limits under root (NULL or "" = none: all zero). */
void cgroup_read(const char *root, struct cgroup_limits *out);

/* Percent of the cgroup memory limit maxmemory defaults to: the rest is
 * headroom for what maxmemory does not bound (see redis-compat.conf). */
#define CGROUP_MAXMEMORY_PERCENT 75

/* Start-up, after the configuration is loaded: when a memory limit below
 * the machine's memory is present and nothing set maxmemory, maxmemory
 * becomes CGROUP_MAXMEMORY_PERCENT of it and, unless it was set too,
 * maxmemory-policy allkeys-lru (both with source "cgroup"). Logs what it
 * found and did. */
void cgroup_apply_defaults(void);

/* The limit seen at start-up, for INFO (0 = none). */
uint64_t cgroup_memory_limit(void);

#endif
