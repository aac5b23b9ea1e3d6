/* cpus.c -- usable CPU count, see cpus.h. */
#include "cpus.h"

#include <math.h>
#include <sched.h>

#include "cgroup.h"
#include "config.h"

int cpus_available(const char **source) {
    cpu_set_t set;
    int n = 1;
    const char *why = "affinity";
    struct cgroup_limits lim;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) n = CPU_COUNT(&set);
    cgroup_read(cfg.cgroup_root, &lim);
    if (lim.cpus > 0 && (int)ceil(lim.cpus) < n) {
        n = (int)ceil(lim.cpus);
        why = "cgroup-quota";
    }
    if (n < 1) n = 1;
    if (source) *source = why;
    return n;
}
