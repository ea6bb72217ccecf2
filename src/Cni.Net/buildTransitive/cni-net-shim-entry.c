/*
 * The entry point of a plugin-server shim (Cni.Net.ShimEntry.targets, CniNetShimEntry=true): it forwards the
 * invocation to the plugin server before the C library and the .NET runtime start, and starts them only when it
 * cannot answer the way CniPluginClient.Run would.
 *
 * A shim is started once per plugin call and does one thing: it sends its environment and stdin to the server and
 * prints what comes back. Started the usual way it first pays glibc's start (on x86_64 the CPU's cache geometry is
 * read with CPUID, one instruction per parameter, each a VM exit under a hypervisor) and the runtime's (the GC's heap,
 * the finalizer thread, every type's statics), about two thirds of a shim's life.
 *
 * The kernel starts the process here instead of at _start. cni_net_shim_forward answers the invocation, and exits,
 * when everything is ordinary: the environment decodes as CniPluginHost.ProcessEnvironment would read it (every entry
 * KEY=VALUE with a unique, non-empty key, all of it UTF-8), argv[0] names the plugin type, the socket path fits. It
 * returns, and the entry jumps to _start as if nothing had run, in every other case; if it has read stdin by then, it
 * leaves the bytes (or the read's error) and why it returned where cni_net_shim_handoff gives them to the managed
 * client, which then goes on exactly as it would have (connect, fall back or answer code 11, print).
 *
 * Nothing of the C library is initialised at that point: no thread-local storage (so no errno and no stack
 * protector), no IRELATIVE relocations (so no memcpy or memset, which the compiler must not be let to call either:
 * copies are `rep movsb`), no constructors. So the code makes its system calls itself, and keeps its state in memory
 * the kernel zeroed at exec. It only supports x86_64; elsewhere the targets do not link it.
 */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "cni-net-raw-syscall.h"

#if !defined(__x86_64__)
#error "cni-net-shim-entry.c supports x86_64 only (Cni.Net.ShimEntry.targets links it for linux-x64)"
#endif

#define SHIM_HIDDEN __attribute__((visibility("hidden"), used))

/* Why cni_net_shim_forward handed over to the managed client (the same values as ShimHandoff.cs's Reason). */
enum
{
    SHIM_NOT_RUN = 0,        /* the managed client does everything (zeroed memory: the entry never ran) */
    SHIM_UNUSUAL = 1,        /* an environment, argv or socket path the managed client must judge; stdin unread */
    SHIM_STDIN_FAILED = 2,   /* reading stdin failed with errno `error` */
    SHIM_NO_SERVER = 3,      /* stdin read; no server accepted a connection */
    SHIM_SEND_FAILED = 4,    /* stdin read; sending the request failed with errno `error` */
    SHIM_RECEIVE_FAILED = 5, /* stdin read; receiving the answer failed with errno `error` */
    SHIM_CLOSED = 6,         /* stdin read; the server closed the connection before answering */
    SHIM_NOT_AN_ANSWER = 7,  /* stdin read; the answer does not start with "CNR1" */
    SHIM_TOO_LARGE = 8,      /* stdin read; the answer announces a block of `error` bytes, over the limit */
};

/* The same limit as PluginServerProtocol.MaxBlock. */
#define SHIM_MAX_BLOCK (16u * 1024u * 1024u)
#define SHIM_DEFAULT_SOCKET "/run/cni-net/plugin-server.sock"
#define SHIM_SOCKET_VARIABLE "CNI_NET_PLUGIN_SERVER"

static struct
{
    int32_t reason;
    int32_t error;
    uint8_t *stdin_bytes;
    uint64_t stdin_length;
} shim_state;

#define SHIM_EINTR 4

static void shim_copy(void *to, const void *from, size_t count)
{
    __asm__ volatile("rep movsb" : "+D"(to), "+S"(from), "+c"(count) : : "memory");
}

static size_t shim_length(const char *s)
{
    size_t n = 0;
    while (s[n] != 0)
    {
        n++;
    }
    return n;
}

/* Whether s is well-formed UTF-8 (what .NET decodes without replacing anything): no overlong forms, no surrogates,
   nothing above U+10FFFF. */
static int shim_is_utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n)
    {
        uint8_t b = s[i];
        if (b < 0x80)
        {
            i++;
            continue;
        }
        size_t extra;
        uint32_t min, cp;
        if ((b & 0xE0) == 0xC0) { extra = 1; min = 0x80; cp = b & 0x1F; }
        else if ((b & 0xF0) == 0xE0) { extra = 2; min = 0x800; cp = b & 0x0F; }
        else if ((b & 0xF8) == 0xF0) { extra = 3; min = 0x10000; cp = b & 0x07; }
        else { return 0; }
        if (n - i <= extra)
        {
            return 0;
        }
        for (size_t k = 1; k <= extra; k++)
        {
            uint8_t c = s[i + k];
            if ((c & 0xC0) != 0x80)
            {
                return 0;
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        {
            return 0;
        }
        i += extra + 1;
    }
    return 1;
}

/* The length of an environment entry's key (up to its first '='), or -1 when it has none. */
static long shim_key_length(const char *entry)
{
    for (long i = 0; entry[i] != 0; i++)
    {
        if (entry[i] == '=')
        {
            return i;
        }
    }
    return -1;
}

static int shim_same_key(const char *a, const char *b, long length)
{
    for (long i = 0; i < length; i++)
    {
        if (a[i] != b[i])
        {
            return 0;
        }
    }
    return b[length] == '=';
}

/* Memory of its own, not the C library's heap (which does not exist yet). */
static uint8_t *shim_map(size_t size)
{
    long p = CNI_NET_SYSCALL(SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p < 0 && p > -4096 ? NULL : (uint8_t *)p;
}

/* Reads stdin to its end into shim_state; 0, or -errno. */
static long shim_read_stdin(void)
{
    size_t capacity = 64 * 1024, length = 0;
    uint8_t *buffer = shim_map(capacity);
    if (buffer == NULL)
    {
        return -12; /* ENOMEM */
    }
    for (;;)
    {
        if (length == capacity)
        {
            long grown = CNI_NET_SYSCALL(SYS_mremap, buffer, capacity, capacity * 2, 1 /* MREMAP_MAYMOVE */, 0, 0);
            if (grown < 0 && grown > -4096)
            {
                return grown;
            }
            buffer = (uint8_t *)grown;
            capacity *= 2;
        }
        long n = CNI_NET_SYSCALL(SYS_read, 0, buffer + length, capacity - length, 0, 0, 0);
        if (n == -SHIM_EINTR)
        {
            continue;
        }
        if (n < 0)
        {
            return n;
        }
        if (n == 0)
        {
            shim_state.stdin_bytes = buffer;
            shim_state.stdin_length = length;
            return 0;
        }
        length += (size_t)n;
    }
}

static long shim_send_all(int fd, const uint8_t *data, size_t length)
{
    while (length > 0)
    {
        long n = CNI_NET_SYSCALL(SYS_sendto, fd, data, length, MSG_NOSIGNAL, 0, 0);
        if (n == -SHIM_EINTR)
        {
            continue;
        }
        if (n < 0)
        {
            return n;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

/* Receives exactly `length` bytes: 1, 0 when the stream ends first, or -errno. */
static long shim_receive_exactly(int fd, uint8_t *data, size_t length)
{
    while (length > 0)
    {
        long n = CNI_NET_SYSCALL(SYS_recvfrom, fd, data, length, 0, 0, 0);
        if (n == -SHIM_EINTR)
        {
            continue;
        }
        if (n < 0)
        {
            return n;
        }
        if (n == 0)
        {
            return 0;
        }
        data += n;
        length -= (size_t)n;
    }
    return 1;
}

static uint8_t *shim_put_u32(uint8_t *p, uint32_t value)
{
    p[0] = (uint8_t)value;
    p[1] = (uint8_t)(value >> 8);
    p[2] = (uint8_t)(value >> 16);
    p[3] = (uint8_t)(value >> 24);
    return p + 4;
}

static uint32_t shim_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void shim_write_stderr(const char *text)
{
    size_t length = shim_length(text);
    while (length > 0)
    {
        long n = CNI_NET_SYSCALL(SYS_write, 2, text, length, 0, 0, 0);
        if (n == -SHIM_EINTR)
        {
            continue;
        }
        if (n <= 0)
        {
            return;
        }
        text += n;
        length -= (size_t)n;
    }
}

/* "CNI plugin shim: writing stdout failed: errno N", as the managed client prints it. */
static void shim_report_write_failure(long error)
{
    /* Filled from the end (a local array with an initialiser may be filled by memcpy or memset). */
    char digits[24];
    size_t at = sizeof(digits) - 1;
    digits[at] = 0;
    digits[--at] = '\n';
    unsigned long value = (unsigned long)error;
    do
    {
        digits[--at] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0 && at > 0);
    shim_write_stderr("CNI plugin shim: writing stdout failed: errno ");
    shim_write_stderr(digits + at);
}

static void shim_exit(int code)
{
    for (;;)
    {
        CNI_NET_SYSCALL(SYS_exit_group, code, 0, 0, 0, 0, 0);
    }
}

static void shim_hand_over(int reason, long error)
{
    shim_state.reason = reason;
    shim_state.error = (int32_t)error;
}

/* Called by the entry with the initial stack pointer (argc, argv..., NULL, envp..., NULL, auxv). Returns to let the
   process start as usual; answers and exits otherwise. */
SHIM_HIDDEN void cni_net_shim_forward(long *initial_stack)
{
    long argc = initial_stack[0];
    char **argv = (char **)(initial_stack + 1);
    char **envp = argv + argc + 1;
    if (argc < 1 || argv[0] == NULL)
    {
        shim_hand_over(SHIM_UNUSUAL, 0);
        return;
    }

    /* The environment, as the managed client would send it: every entry, in order. */
    const char *socket_path = SHIM_DEFAULT_SOCKET;
    uint32_t env_count = 0;
    size_t env_bytes = 0;
    for (char **e = envp; *e != NULL; e++)
    {
        long key = shim_key_length(*e);
        size_t length = shim_length(*e);
        if (key <= 0 || !shim_is_utf8((const uint8_t *)*e, length))
        {
            shim_hand_over(SHIM_UNUSUAL, 0);
            return;
        }
        for (char **earlier = envp; earlier != e; earlier++)
        {
            if (shim_same_key(*e, *earlier, key))
            {
                shim_hand_over(SHIM_UNUSUAL, 0);
                return;
            }
        }
        if (key == (long)(sizeof(SHIM_SOCKET_VARIABLE) - 1) && shim_same_key(SHIM_SOCKET_VARIABLE, *e, key) &&
            (*e)[key + 1] != 0)
        {
            socket_path = *e + key + 1;
        }
        env_count++;
        env_bytes += 4 + length;
    }

    /* The plugin type: argv[0]'s file name, as the shim's Main gives it (Path.GetFileName). */
    const char *type = argv[0];
    for (const char *c = argv[0]; *c != 0; c++)
    {
        if (*c == '/')
        {
            type = c + 1;
        }
    }
    size_t type_length = shim_length(type);
    size_t path_length = shim_length(socket_path);
    if (!shim_is_utf8((const uint8_t *)argv[0], shim_length(argv[0])) || path_length == 0 ||
        path_length >= sizeof(((struct sockaddr_un *)0)->sun_path))
    {
        shim_hand_over(SHIM_UNUSUAL, 0);
        return;
    }

    long rc = shim_read_stdin();
    if (rc < 0)
    {
        shim_hand_over(SHIM_STDIN_FAILED, -rc);
        return;
    }

    long fd = CNI_NET_SYSCALL(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0, 0, 0);
    if (fd < 0)
    {
        /* The managed client reports this one itself (it cannot make a socket either). */
        shim_hand_over(SHIM_NO_SERVER, 0);
        return;
    }
    struct sockaddr_un address;
    uint8_t *raw = (uint8_t *)&address;
    for (size_t i = 0; i < sizeof(address); i++)
    {
        raw[i] = 0;
        __asm__ volatile("" ::: "memory");
    }
    address.sun_family = AF_UNIX;
    shim_copy(address.sun_path, socket_path, path_length);
    do
    {
        rc = CNI_NET_SYSCALL(SYS_connect, fd, &address, offsetof(struct sockaddr_un, sun_path) + path_length + 1, 0, 0, 0);
    } while (rc == -SHIM_EINTR);
    if (rc < 0)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(SHIM_NO_SERVER, 0);
        return;
    }

    /* The request: "CNQ1", the type, the environment, stdin (PluginServerProtocol.EncodeRequest). */
    size_t request_length = 4 + 4 + type_length + 4 + env_bytes + 4 + shim_state.stdin_length;
    uint8_t *request = shim_map(request_length);
    if (request == NULL)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(SHIM_UNUSUAL, 0);
        return;
    }
    uint8_t *p = request;
    shim_copy(p, "CNQ1", 4);
    p = shim_put_u32(p + 4, (uint32_t)type_length);
    shim_copy(p, type, type_length);
    p = shim_put_u32(p + type_length, env_count);
    for (char **e = envp; *e != NULL; e++)
    {
        size_t length = shim_length(*e);
        p = shim_put_u32(p, (uint32_t)length);
        shim_copy(p, *e, length);
        p += length;
    }
    p = shim_put_u32(p, (uint32_t)shim_state.stdin_length);
    shim_copy(p, shim_state.stdin_bytes, shim_state.stdin_length);
    rc = shim_send_all((int)fd, request, request_length);
    if (rc < 0)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(SHIM_SEND_FAILED, -rc);
        return;
    }

    /* The answer: "CNR1", the exit code, stdout (PluginServerProtocol.ReadResponse). */
    uint8_t head[12];
    rc = shim_receive_exactly((int)fd, head, sizeof(head));
    if (rc <= 0)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(rc == 0 ? SHIM_CLOSED : SHIM_RECEIVE_FAILED, -rc);
        return;
    }
    if (head[0] != 'C' || head[1] != 'N' || head[2] != 'R' || head[3] != '1')
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(SHIM_NOT_AN_ANSWER, 0);
        return;
    }
    uint32_t exit_code = shim_get_u32(head + 4);
    uint32_t stdout_length = shim_get_u32(head + 8);
    if (stdout_length > SHIM_MAX_BLOCK)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(SHIM_TOO_LARGE, (long)stdout_length);
        return;
    }
    uint8_t *out = shim_map(stdout_length == 0 ? 1 : stdout_length);
    if (out == NULL)
    {
        CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
        shim_hand_over(SHIM_RECEIVE_FAILED, 12);
        return;
    }
    rc = shim_receive_exactly((int)fd, out, stdout_length);
    CNI_NET_SYSCALL(SYS_close, fd, 0, 0, 0, 0, 0);
    if (rc <= 0)
    {
        shim_hand_over(rc == 0 ? SHIM_CLOSED : SHIM_RECEIVE_FAILED, -rc);
        return;
    }

    /* Answered: print it and exit with the plugin's code. A runtime that closed its end of stdout gets what the
       managed client gives it (the .NET runtime ignores SIGPIPE; so does this). */
    long ignore[4];
    ignore[0] = 1; /* SIG_IGN */
    ignore[1] = 0;
    ignore[2] = 0;
    ignore[3] = 0;
    CNI_NET_SYSCALL(SYS_rt_sigaction, 13 /* SIGPIPE */, ignore, 0, 8, 0, 0);
    const uint8_t *q = out;
    size_t left = stdout_length;
    while (left > 0)
    {
        long n = CNI_NET_SYSCALL(SYS_write, 1, q, left, 0, 0, 0);
        if (n == -SHIM_EINTR)
        {
            continue;
        }
        if (n < 0)
        {
            shim_report_write_failure(-n);
            shim_exit(1);
        }
        q += n;
        left -= (size_t)n;
    }
    shim_exit((int)exit_code);
}

/* The process's entry point (the linker's -e): the stack pointer to cni_net_shim_forward, then on to the C library's
   _start with the stack and %rdx (the dynamic linker's finaliser, 0 for a static executable) as the kernel left them. */
__asm__(".text\n"
        ".globl cni_net_shim_entry\n"
        ".type cni_net_shim_entry, @function\n"
        "cni_net_shim_entry:\n"
        "    mov %rsp, %r12\n"
        "    mov %rdx, %r13\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call cni_net_shim_forward\n"
        "    mov %r12, %rsp\n"
        "    mov %r13, %rdx\n"
        "    jmp _start\n"
        ".size cni_net_shim_entry, . - cni_net_shim_entry\n");

/* For the managed client (ShimHandoff.cs), once the runtime runs: why the entry handed over, the errno that goes with
   it, and the stdin it read (NULL when it did not). */
int32_t cni_net_shim_handoff(int32_t *error, uint8_t **stdin_bytes, uint64_t *stdin_length)
{
    *error = shim_state.error;
    *stdin_bytes = shim_state.stdin_bytes;
    *stdin_length = shim_state.stdin_length;
    return shim_state.reason;
}
