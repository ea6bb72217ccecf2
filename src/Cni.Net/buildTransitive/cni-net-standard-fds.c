/*
 * Linked into NativeAOT executables with cni-net-detached.c (Cni.Net.Detached.targets); the library asks it through
 * [DllImport("cni-net-native")] (Interop/StandardDescriptors.cs).
 *
 * A process started with stdin, stdout or stderr closed gets /dev/null in its place before main, and the library
 * learns which were closed, so that a plugin reports "reading stdin failed: errno 9" as the Go plugins do. Without it
 * the numbers are free for the .NET runtime's first files, and it keeps one open from its start (/dev/urandom): with
 * stdin closed a plugin read random bytes as its configuration until memory ran out and died with a stack trace;
 * with stdout closed its write failed only because that file happened to be open read-only. (glibc does the same for
 * set-user-ID programs.)
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static int cni_net_closed_at_start;

/* Before every other constructor of the executable, and before main, where the runtime starts. */
__attribute__((constructor(101))) static void cni_net_reserve_standard_fds(void)
{
    for (int fd = 0; fd <= 2; fd++)
    {
        if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
        {
            /* The lowest free number: this one, since the lower ones are open or were just filled. */
            int opened = open("/dev/null", O_RDWR);
            if (opened == fd)
            {
                cni_net_closed_at_start |= 1 << fd;
            }
            else if (opened >= 0)
            {
                close(opened);
            }
        }
    }
}

/* Bit n set: descriptor n was closed when the process started (and is /dev/null now). */
int cni_net_standard_fds_closed_at_start(void)
{
    return cni_net_closed_at_start;
}
