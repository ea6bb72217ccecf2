/*
 * System calls made without the C library, for the code in buildTransitive that runs where the C library cannot be
 * used: in a process that shares another's memory but not its thread (cni-net-detached.c), or before the C library
 * has started (cni-net-shim-entry.c). Neither errno nor any other thread-local storage is touched: a call returns
 * its result, or -errno.
 */
#ifndef CNI_NET_RAW_SYSCALL_H
#define CNI_NET_RAW_SYSCALL_H

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "cni-net-raw-syscall.h supports x86_64 and aarch64"
#endif

static inline long cni_net_raw(long n, long a, long b, long c, long d, long e, long f)
{
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#else
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#endif
}

#define CNI_NET_SYSCALL(n, a, b, c, d, e, f) cni_net_raw((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

#endif
