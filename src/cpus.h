/* cpus.h -- how many CPUs this process may use: its affinity mask, capped
 * by the cgroup CPU quota (v2 cpu.max or v1 cpu.cfs_quota_us and
 * cpu.cfs_period_us, under cgroup-root: see cgroup.h), rounded up. */
#ifndef SHOAL_CPUS_H
#define SHOAL_CPUS_H

/* Usable CPUs, at least 1; *source (optional) says what limited it:
 * "affinity" or "cgroup-quota". */
int cpus_available(const char **source);

#endif
