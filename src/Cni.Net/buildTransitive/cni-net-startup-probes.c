/*
 * Linked into NativeAOT executables by Cni.Net.NoCgroupProbe.targets (CniNetNoCgroupProbe and CniNetNoCacheSizeProbe,
 * on by default for CNI plugins), compiled with CNI_NET_NO_CGROUP_PROBE and/or CNI_NET_NO_CACHE_SIZE_PROBE defined.
 *
 * Two files the .NET runtime reads at every start, which a CNI plugin (a process that lives for milliseconds) does
 * not need, are answered "no such file"; every other file opens as before.
 *
 * CNI_NET_NO_CGROUP_PROBE: the runtime reads all of /proc/self/mountinfo twice to find the memory and cpu cgroup
 * hierarchies (the GC's heap limit, the processor count). The kernel formats one line per mount for that, and a node
 * has several mounts per pod (its network namespace, each container's root, shm, volumes): with 1,000 mounts a
 * plugin's start took 6.0 ms instead of 2.8 ms, while a Go plugin does not read the file at all. Without the file the
 * runtime assumes no cgroup limits, which a plugin never nears.
 *
 * CNI_NET_NO_CACHE_SIZE_PROBE: the GC sizes its first generation from the largest CPU cache, read from sysfs
 * (/sys/devices/system/cpu/cpu0/cache/index<N>/size and level, nine kernfs files): 0.24 ms of CPU and 0.06-0.12 ms
 * of wall time of a 1.1 ms start on the CI machine. Without them it takes the runtime's own estimate from the processor count (4 MB of cache up to 4
 * processors, 8 MB up to 16, ...), a budget no plugin's few hundred kilobytes of allocations reach.
 *
 * The runtime opens both with fopen64; a definition in the executable takes precedence over the C library's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__GLIBC__) && !defined(fopen64)
/* glibc only: there fopen64 is a function of its own. musl spells it as a macro for fopen (or not at all), and the
 * runtime built for musl calls fopen: defining fopen here would replace every fopen of the process. */
static int cni_net_skipped(const char *path)
{
#ifdef CNI_NET_NO_CGROUP_PROBE
    if (strcmp(path, "/proc/self/mountinfo") == 0)
    {
        return 1;
    }
#endif
#ifdef CNI_NET_NO_CACHE_SIZE_PROBE
    static const char cache[] = "/sys/devices/system/cpu/cpu0/cache/";
    if (strncmp(path, cache, sizeof cache - 1) == 0)
    {
        return 1;
    }
#endif
    return 0;
}

FILE *fopen64(const char *restrict path, const char *restrict mode)
{
    if (path != NULL && cni_net_skipped(path))
    {
        errno = ENOENT;
        return NULL;
    }
    return fopen(path, mode);
}
#else
typedef int cni_net_startup_probes_not_on_this_libc;
#endif
