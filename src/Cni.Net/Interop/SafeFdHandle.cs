using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>Owns a file descriptor (a netlink socket, a namespace file) and closes it once.</summary>
internal sealed class SafeFdHandle : SafeHandle
{
    public SafeFdHandle(int fd, bool ownsHandle = true)
        : base(new IntPtr(-1), ownsHandle) => SetHandle(new IntPtr(fd));

    public override bool IsInvalid => handle.ToInt64() < 0;

    public int Fd => (int)handle.ToInt64();

    protected override bool ReleaseHandle() => Syscalls.close((int)handle.ToInt64()) == 0;
}
