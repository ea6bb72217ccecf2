using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>
/// What Tmds.LibC lacks: for AF_NETLINK <c>struct sockaddr_nl</c> and the SOL_NETLINK socket options, and the libc
/// calls the library makes itself (namespaces, mounts, locks; process spawning is in <see cref="ProcessInterop"/>). Names follow the C headers (linux/netlink.h) so the C-probe test can compare them.
/// </summary>
internal static partial class Syscalls
{
    public const int SOL_NETLINK = 270;
    public const int NETLINK_ADD_MEMBERSHIP = 1;
    public const int NETLINK_DROP_MEMBERSHIP = 2;
    public const int NETLINK_PKTINFO = 3;
    public const int NETLINK_BROADCAST_ERROR = 4;
    public const int NETLINK_NO_ENOBUFS = 5;
    public const int NETLINK_LISTEN_ALL_NSID = 8;
    public const int NETLINK_CAP_ACK = 10;
    public const int NETLINK_EXT_ACK = 11;
    public const int NETLINK_GET_STRICT_CHK = 12;

    /// <summary>struct sockaddr_nl (12 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct sockaddr_nl
    {
        public ushort nl_family;
        public ushort nl_pad;
        public uint nl_pid;
        public uint nl_groups;
    }

    [LibraryImport("libc.so.6", EntryPoint = "close", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc.so.6", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int link(string oldpath, string newpath);

    [LibraryImport("libc.so.6", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int linkat(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rename(string oldpath, string newpath);

    [LibraryImport("libc.so.6", EntryPoint = "flock", SetLastError = true)]
    public static partial int flock(int fd, int operation);

    [LibraryImport("libc.so.6", EntryPoint = "getrandom", SetLastError = true)]
    public static unsafe partial nint getrandom(void* buf, nuint buflen, uint flags);

    [LibraryImport("libc.so.6", EntryPoint = "gettid")]
    public static partial int gettid();

    [LibraryImport("libc.so.6", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string? source, string target, string? fstype, ulong mountflags, IntPtr data);

    [LibraryImport("libc.so.6", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int umount2(string target, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "setns", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc.so.6", EntryPoint = "unshare", SetLastError = true)]
    public static partial int unshare(int flags);

    [LibraryImport("libc.so.6", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    public const int X_OK = 1;

    [LibraryImport("libc.so.6", EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int access(string path, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "openat", SetLastError = true)]
    public static unsafe partial int openat(int dirfd, byte* path, int flags, int mode);

    [LibraryImport("libc.so.6", EntryPoint = "unlinkat", SetLastError = true)]
    public static unsafe partial int unlinkat(int dirfd, byte* path, int flags);

    [LibraryImport("libc.so.6", EntryPoint = "getdents64", SetLastError = true)]
    public static unsafe partial nint getdents64(int fd, byte* buffer, nuint count);

    [LibraryImport("libc.so.6", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int statx(int dirfd, string path, int flags, uint mask, byte* statxbuf);

    [LibraryImport("libc.so.6", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request);

    [LibraryImport("libc.so.6", EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint argument);

    public const int O_RDONLY = 0;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_CLOEXEC = 0x80000;
    public const int AT_EMPTY_PATH = 0x1000;
    public const uint STATX_INO = 0x100;
    public const ulong NS_GET_NSTYPE = 0xb703; // _IO(0xb7, 0x3)
    public const ulong SIOCGSKNS = 0x894C;
    public const int EFD_CLOEXEC = 0x80000;

    [LibraryImport("libc.so.6", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    // struct statx offsets (identical on every architecture)
    public const int StatxSize = 256;
    public const int StatxInoOffset = 32;
    public const int StatxDevMajorOffset = 136;
    public const int StatxDevMinorOffset = 140;

    public const int CLONE_NEWNET = 0x40000000;
    public const ulong MS_BIND = 4096;
    public const ulong MS_REC = 16384;
    public const ulong MS_SHARED = 1 << 20;
    public const int MNT_DETACH = 2;

    // /dev/net/tun (linux/if_tun.h)
    public const int O_RDWR = 2;
    public const ulong TUNSETIFF = 0x400454ca;     // _IOW('T', 202, int)
    public const ulong TUNSETPERSIST = 0x400454cb; // _IOW('T', 203, int)
    public const ulong TUNSETOWNER = 0x400454cc;   // _IOW('T', 204, int)
    public const ulong TUNSETGROUP = 0x400454ce;   // _IOW('T', 206, int)
    public const int IFF_TUN = 0x0001;
    public const int IFF_TAP = 0x0002;
    public const int IFF_NO_PI = 0x1000;
    public const int IFF_VNET_HDR = 0x4000;
    public const int IFF_TUN_EXCL = 0x8000;
    public const int IFF_MULTI_QUEUE = 0x0100;
    public const int IfReqSize = 40;               // sizeof(struct ifreq) on 64-bit
    public const int IfReqFlagsOffset = 16;        // offsetof(struct ifreq, ifr_flags)
}
