using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Cni.Net.Interop;
using Cni.Net.Namespaces;

namespace Cni.Net.Netlink.Route;

/// <summary>
/// Persistent tun/tap devices, made as <c>ip tuntap add</c> makes them: the kernel has no rtnetlink "newlink" for
/// kind <c>tun</c>, so the device is created by TUNSETIFF on a descriptor of <c>/dev/net/tun</c>, given its owner
/// and group and made persistent, and the descriptor is closed. The device belongs to the namespace
/// <c>/dev/net/tun</c> was opened in, so the descriptor is opened there (on a dedicated thread, see
/// <see cref="NetworkNamespace.Run{T}"/>) and the device is never seen anywhere else. Everything else (MTU, MAC,
/// master, up) is ordinary rtnetlink afterwards.
/// </summary>
public static class TunTap
{
    private const string DevicePath = "/dev/net/tun";

    /// <summary>Creates the persistent device <paramref name="name"/> in <paramref name="target"/> (null: the caller's namespace).</summary>
    /// <param name="name">The device name (at most 15 bytes); it must not exist yet.</param>
    /// <param name="options">Tun or tap, queues, headers, owner and group.</param>
    /// <param name="target">The namespace to create it in.</param>
    /// <exception cref="ArgumentException">The name is invalid.</exception>
    /// <exception cref="IOException">
    /// <c>/dev/net/tun</c> cannot be opened (the kernel lacks tun) or an ioctl failed; EBUSY when the name is taken.
    /// Nothing is left behind: the device only persists once every step succeeded.
    /// </exception>
    public static void Create(string name, TunTapOptions options, NetworkNamespace? target = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Encoding.UTF8.GetByteCount(name) > 15 || name.AsSpan().ContainsAny("/: \t\n") || name is "." or "..")
        {
            throw new ArgumentException($"invalid interface name \"{name}\"", nameof(name));
        }
        int fd = target is null ? OpenDevice() : target.Run(OpenDevice);
        using var handle = new SafeFdHandle(fd);
        Span<byte> request = stackalloc byte[Syscalls.IfReqSize];
        request.Clear();
        Encoding.UTF8.GetBytes(name, request[..15]);
        int flags = (options.Tap ? Syscalls.IFF_TAP : Syscalls.IFF_TUN) | Syscalls.IFF_TUN_EXCL;
        flags |= options.PacketInformation ? 0 : Syscalls.IFF_NO_PI;
        flags |= options.VirtioNetHeader ? Syscalls.IFF_VNET_HDR : 0;
        flags |= options.MultiQueue ? Syscalls.IFF_MULTI_QUEUE : 0;
        BinaryPrimitives.WriteUInt16LittleEndian(request[Syscalls.IfReqFlagsOffset..], (ushort)flags);
        unsafe
        {
            fixed (byte* p = request)
            {
                // IFF_TUN_EXCL: a device of that name already there is an error (EBUSY), not one to attach to.
                Ioctl(fd, Syscalls.TUNSETIFF, (nint)p, "TUNSETIFF", name);
            }
        }
        // Until TUNSETPERSIST the device lives only as long as the descriptor: a failure below leaves nothing.
        if (options.Owner is uint owner)
        {
            Ioctl(fd, Syscalls.TUNSETOWNER, (nint)owner, "TUNSETOWNER", name);
        }
        if (options.Group is uint group)
        {
            Ioctl(fd, Syscalls.TUNSETGROUP, (nint)group, "TUNSETGROUP", name);
        }
        Ioctl(fd, Syscalls.TUNSETPERSIST, 1, "TUNSETPERSIST", name);
    }

    private static int OpenDevice()
    {
        int fd = Syscalls.open(DevicePath, Syscalls.O_RDWR | Syscalls.O_CLOEXEC, 0);
        return fd >= 0 ? fd : throw NamespaceErrors.Last("open", DevicePath);
    }

    private static void Ioctl(int fd, ulong request, nint argument, string call, string name)
    {
        if (Syscalls.ioctl(fd, request, argument) != 0)
        {
            throw NamespaceErrors.Last(call, name);
        }
    }
}
