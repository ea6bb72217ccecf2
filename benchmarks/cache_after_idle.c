/*
 * What 20 ms of idle costs any program on this machine, with no CNI code involved: a fixed piece of work timed right
 * after the previous one ("back to back") and after GAP_MS milliseconds of sleep ("after idle"), the two kinds
 * alternated in blocks of ten as benchmarks/inproc_idle.py alternates pods. Three kinds of work:
 *   - a strided walk over a working set of 256 KiB, 2 MiB and 8 MiB (four passes, one byte per 64-byte line);
 *   - 60 round trips of the kernel work a plugin does: an rtnetlink RTM_GETLINK of lo and an open/close of a /proc file.
 * If the after-idle figure is higher for plain memory walks, the caches were emptied while the program slept (by the
 * hypervisor, other guests or the host), and a long-lived process that handles one pod at a time pays for it.
 *
 * usage: cc -O2 -o /tmp/cache_after_idle benchmarks/cache_after_idle.c && /tmp/cache_after_idle
 *        (GAP_MS=20 ROUNDS=400; run it alongside two SCHED_IDLE spinners to keep the virtual CPUs out of halt)
 */
#define _GNU_SOURCE
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static volatile unsigned sink;

static void walk(const unsigned char *set, size_t size)
{
    unsigned sum = 0;
    size_t lines = size / 64;
    for (int pass = 0; pass < 4; pass++) {
        /* 7919 is prime and lines a power of two: every line once per pass, in an order the prefetcher cannot follow. */
        for (size_t i = 0; i < lines; i++) {
            sum += set[((i * 7919) % lines) * 64];
        }
    }
    sink = sum;
}

static void kernel_round_trips(int rtnl)
{
    for (int i = 0; i < 60; i++) {
        struct {
            struct nlmsghdr header;
            struct ifinfomsg link;
        } request = { { sizeof request, RTM_GETLINK, NLM_F_REQUEST, (unsigned)i, 0 }, { .ifi_index = 1 } };
        char answer[4096];
        if (send(rtnl, &request, sizeof request, 0) < 0 || recv(rtnl, answer, sizeof answer, 0) < 0) {
            perror("rtnetlink");
            exit(1);
        }
        int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
        }
    }
}

static void measure(const char *what, size_t size, int rtnl, int rounds, int gap_ms)
{
    unsigned char *set = NULL;
    if (size > 0) {
        set = malloc(size);
        memset(set, 1, size);
    }
    double *times[2] = { calloc(rounds, sizeof(double)), calloc(rounds, sizeof(double)) };
    int counts[2] = { 0, 0 };
    for (int round = 0; round < rounds; round++) {
        int idle = (round / 10) % 2;
        if (idle) {
            usleep(gap_ms * 1000);
        }
        double start = now_us();
        if (set) {
            walk(set, size);
        } else {
            kernel_round_trips(rtnl);
        }
        double took = now_us() - start;
        if (round >= 20) {
            times[idle][counts[idle]++] = took;
        }
    }
    qsort(times[0], counts[0], sizeof(double), by_value);
    qsort(times[1], counts[1], sizeof(double), by_value);
    double busy = times[0][counts[0] / 2], after = times[1][counts[1] / 2];
    printf("%-28s back to back %9.1f us   after %d ms idle %9.1f us   %+5.0f%%\n", what, busy, gap_ms, after,
        100 * (after / busy - 1));
    free(times[0]);
    free(times[1]);
    free(set);
}

int main(void)
{
    int gap_ms = getenv("GAP_MS") ? atoi(getenv("GAP_MS")) : 20;
    int rounds = getenv("ROUNDS") ? atoi(getenv("ROUNDS")) : 400;
    int rtnl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (rtnl < 0) {
        perror("socket");
        return 1;
    }
    measure("walk 256 KiB", 256 << 10, rtnl, rounds, gap_ms);
    measure("walk 2 MiB", 2 << 20, rtnl, rounds, gap_ms);
    measure("walk 8 MiB", 8 << 20, rtnl, rounds, gap_ms);
    measure("60 netlink + /proc opens", 0, rtnl, rounds, gap_ms);
    close(rtnl);
    return 0;
}
