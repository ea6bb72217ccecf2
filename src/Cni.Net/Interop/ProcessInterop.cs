using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>
/// libc calls <see cref="ChildProcess"/> needs that Tmds.LibC does not declare: posix_spawn (so a child can start in a
/// process group of its own, which the framework's process class cannot do), waitpid, pidfd_open and friends.
/// </summary>
internal static unsafe partial class ProcessInterop
{
    // glibc x86_64/aarch64 sizes, checked against <spawn.h> by a C probe in the unit tests.
    internal const int FileActionsSize = 80;
    internal const int SpawnAttrSize = 336;
    internal const int SigSetSize = 128;

    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;


    internal const int F_SETFL = 4;
    internal const int O_NONBLOCK = 0x800;
    internal const short POLLIN = 0x1;
    internal const short POLLOUT = 0x4;

    /// <summary>struct pollfd.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct PollFd
    {
        public int fd;
        public short events;
        public short revents;
    }

    internal const int SIGKILL = 9;
    internal const int O_CLOEXEC = 0x80000;

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial int pipe2(int* fds, int flags);

    /// <summary>syscall(2), for what glibc may not wrap (pidfd_open before glibc 2.36).</summary>
    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial long syscall(long number, long arg1, long arg2);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial int kill(int pid, int sig);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport("libc.so.6")]
    internal static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport("libc.so.6")]
    internal static partial int sigemptyset(void* set);

    [LibraryImport("libc.so.6")]
    internal static partial int sigfillset(void* set);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial int poll(PollFd* fds, ulong nfds, int timeout);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial long read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial long write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc.so.6", SetLastError = true)]
    internal static partial int fcntl(int fd, int command, int argument);

    internal static bool WIfExited(int status) => (status & 0x7f) == 0;

    internal static int WExitStatus(int status) => (status >> 8) & 0xff;

    internal static int WTermSig(int status) => status & 0x7f;

    /// <summary>
    /// Starts <paramref name="path"/> with its stdin, stdout and stderr on the given descriptors, in a process group of
    /// its own (a timeout kills everything the plugin started) with default signal dispositions and an empty mask:
    /// .NET ignores SIGPIPE, and ignored signals survive exec — the plugin gets what a shell would give it.
    /// </summary>
    /// <returns>0, or the errno posix_spawn answered.</returns>
    internal static int SpawnInOwnProcessGroup(out int pid, byte* path, byte** argv, byte** envp, int stdin, int stdout, int stderr)
    {
        void* actions = NativeMemory.AllocZeroed(FileActionsSize);
        void* attr = NativeMemory.AllocZeroed(SpawnAttrSize);
        void* sigs = NativeMemory.AllocZeroed(SigSetSize);
        try
        {
            _ = posix_spawn_file_actions_init(actions);
            _ = posix_spawn_file_actions_adddup2(actions, stdin, 0);
            _ = posix_spawn_file_actions_adddup2(actions, stdout, 1);
            _ = posix_spawn_file_actions_adddup2(actions, stderr, 2);
            _ = posix_spawnattr_init(attr);
            _ = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
            _ = posix_spawnattr_setpgroup(attr, 0);
            _ = sigfillset(sigs);
            _ = posix_spawnattr_setsigdefault(attr, sigs);
            _ = sigemptyset(sigs);
            _ = posix_spawnattr_setsigmask(attr, sigs);
            int child = 0;
            int error = posix_spawn(&child, path, actions, attr, argv, envp);
            pid = child;
            return error;
        }
        finally
        {
            _ = posix_spawn_file_actions_destroy(actions);
            _ = posix_spawnattr_destroy(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
            NativeMemory.Free(sigs);
        }
    }
}
