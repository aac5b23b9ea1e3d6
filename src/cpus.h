/* cpus.h -- how many CPUs this process may use: its affinity mask, capped
 * by a cgroup CPU quota (v2 cpu.max or v1 cfs_quota_us/cfs_period_us). */
#ifndef SHOAL_CPUS_H
#define SHOAL_CPUS_H

/* Usable CPUs, at least 1; *source (optional) says what limited it. */
int cpus_available(const char **source);

#endif
