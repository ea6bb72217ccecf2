using System.Buffers.Binary;
using Cni.Net.Netlink;

namespace Cni.Net.TrafficControl;

/// <summary>An htb class: a guaranteed rate and a ceiling; their bursts are tc's defaults (one MTU of 1600 bytes).</summary>
/// <param name="RateBytesPerSecond">The guaranteed rate, at least 1.</param>
/// <param name="CeilBytesPerSecond">The most it may borrow up to, at least the rate.</param>
public sealed record HtbClass(ulong RateBytesPerSecond, ulong CeilBytesPerSecond)
{
    private const uint DefaultMtu = 1600;

    internal const string Kind = "htb";

    internal void WriteOptions(ref NetlinkWriter writer, PschedClock clock)
    {
        if (RateBytesPerSecond == 0 || CeilBytesPerSecond < RateBytesPerSecond)
        {
            throw new ArgumentException("an htb class needs a rate of at least 1 byte/s and a ceiling not below it");
        }
        NestedScope options = writer.BeginNested(TcConstants.TCA_OPTIONS, setNestedFlag: false);
        // struct tc_htb_opt { tc_ratespec rate, ceil; u32 buffer, cbuffer, quantum, level, prio; }
        Span<byte> p = writer.ReserveAttribute(TcConstants.TCA_HTB_PARMS, 44);
        TcRateSpec.Write(p, RateBytesPerSecond);
        TcRateSpec.Write(p[12..], CeilBytesPerSecond);
        BinaryPrimitives.WriteUInt32LittleEndian(p[24..], BurstTicks(RateBytesPerSecond, clock));
        BinaryPrimitives.WriteUInt32LittleEndian(p[28..], BurstTicks(CeilBytesPerSecond, clock));
        if (RateBytesPerSecond > uint.MaxValue)
        {
            writer.WriteUInt64(TcConstants.TCA_HTB_RATE64, RateBytesPerSecond);
        }
        if (CeilBytesPerSecond > uint.MaxValue)
        {
            writer.WriteUInt64(TcConstants.TCA_HTB_CEIL64, CeilBytesPerSecond);
        }
        writer.EndNested(options);
    }

    // tc's default burst: rate / HZ + mtu bytes, as transmit time in ticks. HZ reads 10^9 on high-resolution
    // kernels, so the burst is one MTU for every rate below a gigabyte per second.
    private static uint BurstTicks(ulong rate, PschedClock clock)
    {
        double bytes = (rate / 1_000_000_000UL) + DefaultMtu;
        return clock.ToTicks(Math.Floor(Math.Min(bytes * 1_000_000.0 / rate, uint.MaxValue)));
    }
}
