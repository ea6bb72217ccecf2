using System.Buffers.Binary;

namespace Cni.Net.TrafficControl;

/// <summary>
/// struct tc_ratespec (12 bytes), filled as tc fills it for an Ethernet link (cell_log 3, link layer Ethernet,
/// cell_align −1), or with the rate alone as the reference plugins' netlink library fills it (link layer
/// unspecified, which <c>tc -d</c> shows as <c>linklayer unspec</c>; the kernel shapes both the same).
/// </summary>
internal static class TcRateSpec
{
    public const int Size = 12;

    public static void Write(Span<byte> s, ulong bytesPerSecond, bool rateOnly = false)
    {
        s[..Size].Clear();
        if (bytesPerSecond == 0)
        {
            return;
        }
        if (rateOnly)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)Math.Min(bytesPerSecond, uint.MaxValue));
            return;
        }
        s[0] = 3; // cell_log for tc's default 2047-byte MTU; unused by the kernel without a rate table
        s[1] = TcConstants.TC_LINKLAYER_ETHERNET;
        BinaryPrimitives.WriteInt16LittleEndian(s[4..], -1); // cell_align
        // Rates of 2^32 bytes/s and more travel in a 64-bit attribute; the struct then holds the 32-bit maximum.
        BinaryPrimitives.WriteUInt32LittleEndian(s[8..], (uint)Math.Min(bytesPerSecond, uint.MaxValue));
    }

    public static uint ReadRate(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt32LittleEndian(s[8..]);
}
