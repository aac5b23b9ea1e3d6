/* cpus.c -- usable CPU count, see cpus.h. */
#include "cpus.h"

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

/* CPU quota from cgroup v2 ("max 100000" or "200000 100000"), or v1. */
static double cgroup_quota(void) {
    char buf[128];
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
    if (f) {
        double quota, period;
        int ok = fgets(buf, sizeof(buf), f) != NULL;
        fclose(f);
        if (ok && strncmp(buf, "max", 3) != 0 && sscanf(buf, "%lf %lf", &quota, &period) == 2 &&
            period > 0)
            return quota / period;
        return 0;
    }
    long long q = -1, p = 0;
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r");
    if (f) {
        if (fscanf(f, "%lld", &q) != 1) q = -1;
        fclose(f);
    }
    f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r");
    if (f) {
        if (fscanf(f, "%lld", &p) != 1) p = 0;
        fclose(f);
    }
    return (q > 0 && p > 0) ? (double)q / (double)p : 0;
}

int cpus_available(const char **source) {
    cpu_set_t set;
    int n = 1;
    const char *why = "affinity";

    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    double quota = cgroup_quota();
    if (quota > 0 && (int)ceil(quota) < n) {
        n = (int)ceil(quota);
        why = "cgroup cpu quota";
    }
    if (n < 1) n = 1;
    if (source) *source = why;
    return n;
}
