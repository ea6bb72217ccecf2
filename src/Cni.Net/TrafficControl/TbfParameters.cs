namespace Cni.Net.TrafficControl;

/// <summary>
/// The numbers a token-bucket filter (tbf) qdisc is configured with, in the kernel's units: bytes per second, bytes
/// and scheduler ticks.
/// </summary>
/// <param name="RateBytesPerSecond">The sustained rate; sent as <c>TCA_TBF_RATE64</c> as well when it needs 64 bits.</param>
/// <param name="BurstBytes">The bucket size, sent as <c>TCA_TBF_BURST</c> so that the kernel never sees a wrapped tick count.</param>
/// <param name="BufferTicks">The bucket as time (psched ticks) in <c>TCA_TBF_PARMS</c>, saturated at 2³²−1.</param>
/// <param name="LimitBytes">The queue length in bytes.</param>
public readonly record struct TbfParameters(ulong RateBytesPerSecond, uint BurstBytes, uint BufferTicks, uint LimitBytes)
{
    /// <summary>The latency the bandwidth plugin allows queued packets: 25 ms.</summary>
    public const double BandwidthPluginLatencyMilliseconds = 25;

    /// <summary>
    /// The bandwidth plugin's math: rate and burst arrive in bits; bytes = bits / 8 (integer division);
    /// buffer = burst/rate seconds in ticks; limit = rate · 25 ms + burst. Unlike the reference plugin, values that
    /// do not fit 32 bits saturate instead of wrapping (containerd sends a burst of 2³²−1 bits).
    /// </summary>
    /// <param name="rateBits">Bits per second, at least 8.</param>
    /// <param name="burstBits">Bits, at least 8.</param>
    /// <param name="clock">The scheduler clock; null for this kernel's.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A rate or burst under one byte.</exception>
    public static TbfParameters FromBandwidth(ulong rateBits, ulong burstBits, PschedClock? clock = null)
    {
        if (rateBits < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(rateBits), rateBits, "the rate must be at least 8 bits per second");
        }
        if (burstBits < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(burstBits), burstBits, "the burst must be at least 8 bits");
        }
        clock ??= PschedClock.Current;
        ulong rateBytes = rateBits / 8;
        uint burstBytes = (uint)Math.Min(burstBits / 8, uint.MaxValue);
        // Same floating-point steps as the reference (so normal values agree to the tick), without uint32 wraps.
        uint bufferTicks = TransmitTicks(rateBytes, burstBytes, clock);
        double latencyMicroseconds = 1_000_000.0 * (BandwidthPluginLatencyMilliseconds / 1000.0);
        double limit = Math.Floor(rateBytes * latencyMicroseconds / 1_000_000.0) + burstBytes;
        return new TbfParameters(rateBytes, burstBytes, bufferTicks, PschedClock.Saturate(limit));
    }

    /// <summary>
    /// tc's <c>tbf rate R burst B latency L [peakrate P mtu M]</c>, in bytes: the queue holds what drains within the
    /// latency (the smaller of the two buckets' figures when there is a peak rate).
    /// </summary>
    /// <param name="rateBytesPerSecond">The sustained rate, at least 1.</param>
    /// <param name="burstBytes">The bucket, at least 1.</param>
    /// <param name="latency">The longest a packet may wait.</param>
    /// <param name="peak">The peak rate and its bucket, if any.</param>
    /// <param name="clock">The scheduler clock; null for this kernel's.</param>
    /// <returns>The parameters.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A zero rate or burst, or a negative latency.</exception>
    public static TbfParameters FromLatency(ulong rateBytesPerSecond, uint burstBytes, TimeSpan latency, TbfPeak? peak = null, PschedClock? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rateBytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfZero(burstBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(latency, TimeSpan.Zero);
        clock ??= PschedClock.Current;
        double microseconds = Math.Floor(latency.TotalMicroseconds);
        double limit = (rateBytesPerSecond * microseconds / 1_000_000.0) + burstBytes;
        if (peak is TbfPeak p)
        {
            limit = Math.Min(limit, (p.RateBytesPerSecond * microseconds / 1_000_000.0) + p.MtuBytes);
        }
        return new TbfParameters(rateBytesPerSecond, burstBytes, TransmitTicks(rateBytesPerSecond, burstBytes, clock), PschedClock.Saturate(limit));
    }

    /// <summary>The time to send <paramref name="bytes"/> at <paramref name="rate"/>, in whole microseconds, as ticks.</summary>
    internal static uint TransmitTicks(ulong rate, uint bytes, PschedClock clock) =>
        clock.ToTicks(Math.Floor(Math.Min(bytes * 1_000_000.0 / rate, uint.MaxValue)));
}
