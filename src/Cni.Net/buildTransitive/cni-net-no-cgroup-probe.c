/*
 * Linked into NativeAOT executables by Cni.Net.NoCgroupProbe.targets (CniNetNoCgroupProbe, on by default for CNI
 * plugins).
 *
 * At start-up the .NET runtime reads all of /proc/self/mountinfo twice to find the memory and cpu cgroup
 * hierarchies (the GC's heap limit, the processor count). The kernel formats one line per mount for that, and a node
 * has several mounts per pod (its network namespace, each container's root, shm, volumes): with 1,000 mounts a
 * plugin's start took 6.0 ms instead of 2.8 ms, while a Go plugin does not read the file at all. A CNI plugin runs
 * for a few milliseconds and never nears a cgroup limit, so for it the runtime is told that the file does not exist:
 * it then assumes no cgroup limits. Every other file opens as before.
 *
 * The runtime opens the file with fopen64; a definition in the executable takes precedence over the C library's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#if defined(__GLIBC__) && !defined(fopen64)
/* glibc only: there fopen64 is a function of its own. musl spells it as a macro for fopen (or not at all), and the
 * runtime built for musl calls fopen: defining fopen here would replace every fopen of the process. */
FILE *fopen64(const char *restrict path, const char *restrict mode)
{
    if (path != NULL && strcmp(path, "/proc/self/mountinfo") == 0)
    {
        errno = ENOENT;
        return NULL;
    }
    return fopen(path, mode);
}
#else
typedef int cni_net_no_cgroup_probe_not_on_this_libc;
#endif
