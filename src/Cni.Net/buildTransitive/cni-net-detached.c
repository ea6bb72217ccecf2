/*
 * Linked into NativeAOT executables by Cni.Net.Detached.targets (with CniNetFastStartup, on by default for CNI
 * plugins); the library finds it through [DllImport("cni-net-native")] and does without it when it is absent.
 *
 * A plugin process answers one request and exits, and the kernel does not let a process end while one of its threads
 * is inside a system call, nor release its last descriptors without the work their release does. Two such waits are
 * the kernel's own clean-up, which nothing in the answer depends on:
 *   - deleting a link returns only after an RCU barrier, some 20 ms after the link has left its namespace;
 *   - releasing a NETLINK_NETFILTER socket after nf_tables deleted rules waits for their destroy work (a grace period).
 * cni_net_start_detached hands such work to a process of its own, which shares this one's memory (CLONE_VM, so
 * starting it copies no page tables) but not its descriptor table, and which no one waits for: its parent exits, and
 * init (or the nearest subreaper) reaps it.
 *
 * The new process runs only the code below. It shares the memory but not the thread of the caller: it must not touch
 * thread-local storage (errno, the stack protector's canary), so it makes its system calls itself and the file is
 * built without the stack protector. It first closes every descriptor but the ones it keeps, so that the runtime
 * that started the plugin sees the end of the plugin's output when the plugin exits, not when this process does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#define CNI_NET_DETACHED_KEEP 8

/* The same layout as Interop/DetachedProcess.cs's Work. */
struct cni_net_detached_work
{
    int32_t keep[CNI_NET_DETACHED_KEEP]; /* descriptors kept; every other one is closed at once */
    int32_t keep_count;                  /* -1: the NETLINK_NETFILTER sockets are kept (and wait_fd), no other */
    int32_t request_fd;                  /* a netlink socket to send the request on, or -1 */
    const void *request;
    uint64_t request_length;
    void *answer;                        /* the kernel's answer (one datagram) */
    uint64_t answer_capacity;
    int64_t answer_result;               /* its length, or -errno; written before done_fd is signalled */
    int32_t done_fd;                     /* an eventfd signalled once the answer is in, or -1 */
    int32_t wait_fd;                     /* read to its end before exiting (the parent holds the other end), or -1 */
    int32_t drop_fd;                     /* with keep_count -1: the other end of wait_fd's pipe (closed) */
};

#if defined(__x86_64__) || defined(__aarch64__)

#include "cni-net-raw-syscall.h"

/* Closes [first, last]; without close_range (Linux < 5.9) one by one, up to the highest descriptor in use. */
static void cni_net_close_between(unsigned int first, unsigned int last, unsigned int highest)
{
    if (first > last)
    {
        return;
    }
    if (CNI_NET_SYSCALL(SYS_close_range, first, last, 0, 0, 0, 0) != -ENOSYS)
    {
        return;
    }
    for (unsigned int fd = first; fd <= last && fd <= highest; fd++)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
    }
}

static void cni_net_finish(struct cni_net_detached_work *work);

/* Whether fd is a NETLINK_NETFILTER socket, the kind whose release waits for nf_tables' destroy work. */
static int cni_net_is_netfilter_socket(int fd)
{
    int value = 0;
    unsigned int length = sizeof value;
    if (CNI_NET_SYSCALL(SYS_getsockopt, fd, SOL_SOCKET, SO_DOMAIN, &value, &length, 0) != 0 || value != AF_NETLINK)
    {
        return 0;
    }
    length = sizeof value;
    return CNI_NET_SYSCALL(SYS_getsockopt, fd, SOL_SOCKET, SO_PROTOCOL, &value, &length, 0) == 0 && value == NETLINK_NETFILTER;
}

/* Closes every descriptor but wait_fd and the NETLINK_NETFILTER sockets, whose last close is what is left to this
 * process: the standard streams first (the caller of the plugin waits for their end), and files (with any lock held
 * through them), pipes and other sockets at once, as the plugin's exit would. When /proc is not there to list them,
 * every descriptor above 2 is kept. */
static void cni_net_keep_netfilter_sockets(int wait_fd)
{
    cni_net_close_between(0, 2, 2);
    int dir = (int)CNI_NET_SYSCALL(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, 0, 0);
    if (dir < 0)
    {
        return;
    }
    /* Aligned for the entries' 64-bit fields. */
    uint64_t buffer[512];
    long read;
    while ((read = CNI_NET_SYSCALL(SYS_getdents64, dir, buffer, sizeof buffer, 0, 0, 0)) > 0)
    {
        for (long offset = 0; offset < read;)
        {
            struct cni_net_dirent64
            {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *entry = (struct cni_net_dirent64 *)((char *)buffer + offset);
            offset += entry->reclen;
            int fd = 0;
            const char *c = entry->name;
            if (*c < '0' || *c > '9')
            {
                continue;
            }
            for (; *c >= '0' && *c <= '9'; c++)
            {
                fd = fd * 10 + (*c - '0');
            }
            if (fd == dir || fd == wait_fd || cni_net_is_netfilter_socket(fd))
            {
                continue;
            }
            CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        }
    }
    CNI_NET_SYSCALL(SYS_close, dir, 0, 0, 0, 0, 0);
}

static int cni_net_detached_main(void *argument)
{
    struct cni_net_detached_work *work = argument;
    if (work->keep_count < 0)
    {
        cni_net_keep_netfilter_sockets(work->wait_fd);
        cni_net_finish(work);
        return 0;
    }
    /* Sorted as they are read (a handful of descriptors), so the gaps between them can be closed in order; and no
     * plain copy loop, which the compiler would turn into a call of the C library's memcpy. */
    int32_t keep[CNI_NET_DETACHED_KEEP];
    int count = work->keep_count;
    for (int i = 0; i < count; i++)
    {
        int32_t fd = work->keep[i];
        int j = i;
        for (; j > 0 && keep[j - 1] > fd; j--)
        {
            keep[j] = keep[j - 1];
        }
        keep[j] = fd;
    }
    unsigned int highest = 65535;
    unsigned int next = 0;
    for (int i = 0; i < count; i++)
    {
        if (keep[i] > 0)
        {
            cni_net_close_between(next, (unsigned int)keep[i] - 1, highest);
        }
        next = (unsigned int)keep[i] + 1;
    }
    cni_net_close_between(next, ~0u, highest);
    cni_net_finish(work);
    return 0;
}

static void cni_net_finish(struct cni_net_detached_work *work)
{
    /* Read before done_fd is signalled: the parent may free the work once it sees the answer. */
    int32_t wait_fd = work->wait_fd;
    if (work->request_fd >= 0)
    {
        long result;
        do
        {
            result = CNI_NET_SYSCALL(SYS_sendto, work->request_fd, work->request, work->request_length, 0, 0, 0);
        } while (result == -EINTR);
        if (result >= 0)
        {
            do
            {
                result = CNI_NET_SYSCALL(SYS_recvfrom, work->request_fd, work->answer, work->answer_capacity, 0, 0, 0);
            } while (result == -EINTR);
        }
        __atomic_store_n(&work->answer_result, (int64_t)result, __ATOMIC_RELEASE);
        if (work->done_fd >= 0)
        {
            uint64_t one = 1;
            CNI_NET_SYSCALL(SYS_write, work->done_fd, &one, sizeof one, 0, 0, 0);
        }
    }
    if (wait_fd >= 0)
    {
        char byte;
        long read;
        do
        {
            read = CNI_NET_SYSCALL(SYS_read, wait_fd, &byte, 1, 0, 0, 0);
        } while (read > 0 || read == -EINTR);
        /* One RCU grace period before the kept descriptors go (MEMBARRIER_CMD_GLOBAL is synchronize_rcu()): by then
         * the destroy work of rules deleted before has usually run by itself, so that releasing a NETLINK_NETFILTER
         * socket finds none left to flush and does not hold the namespace's nf_tables commit mutex meanwhile, which
         * the next plugin's commit would wait for. Refused (nohz_full) or not: the descriptors go next. */
        CNI_NET_SYSCALL(SYS_membarrier, 1 /* MEMBARRIER_CMD_GLOBAL */, 0, 0, 0, 0, 0);
    }
    /* The kept descriptors are released by the kernel with this process. */
    CNI_NET_SYSCALL(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* Starts the detached process; its pid, or -errno. Its stack (stack_size bytes) is never unmapped by this process:
 * it goes with the memory when the last of the two exits. */
long cni_net_start_detached(struct cni_net_detached_work *work, uint64_t stack_size)
{
    if (work == NULL || work->keep_count < -1 || work->keep_count > CNI_NET_DETACHED_KEEP || stack_size < 16384)
    {
        return -EINVAL;
    }
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
    {
        return -errno;
    }
    /* No exit signal: the parent never waits for it (a reparented child is reaped by its new parent). */
    int pid = clone(cni_net_detached_main, (char *)stack + stack_size, CLONE_VM, work);
    if (pid < 0)
    {
        int error = errno;
        munmap(stack, stack_size);
        return -error;
    }
    return pid;
}

#else

long cni_net_start_detached(struct cni_net_detached_work *work, uint64_t stack_size)
{
    (void)work;
    (void)stack_size;
    return -ENOSYS;
}

#endif
