using System.Runtime.InteropServices;

namespace Cni.Net.Interop;

/// <summary>
/// The few declarations an AF_PACKET socket (the DHCP client's) needs that Tmds.LibC lacks (layouts from
/// linux/if_packet.h, net/if.h).
/// </summary>
internal static unsafe partial class PacketSocketInterop
{
    public const ushort ETH_P_IP = 0x0800;
    public const uint SIOCGIFFLAGS = 0x8913;
    public const uint SIOCSIFFLAGS = 0x8914;
    public const uint SIOCGIFHWADDR = 0x8927;
    public const uint SIOCGIFINDEX = 0x8933;
    public const short IFF_UP = 0x1;
    public const int IFNAMSIZ = 16;
    public const int IfreqSize = 40;

    [StructLayout(LayoutKind.Sequential)]
    public struct sockaddr_ll
    {
        public ushort sll_family;
        public ushort sll_protocol;
        public int sll_ifindex;
        public ushort sll_hatype;
        public byte sll_pkttype;
        public byte sll_halen;
        public fixed byte sll_addr[8];
    }

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int ioctl(int fd, nuint request, void* argp);


    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial int bind(int fd, void* address, uint length);

    [LibraryImport("libc.so.6", SetLastError = true)]
    public static partial nint sendto(int fd, void* buffer, nuint length, int flags, void* address, uint addressLength);
}
