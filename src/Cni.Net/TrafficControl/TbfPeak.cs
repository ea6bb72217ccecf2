namespace Cni.Net.TrafficControl;

/// <summary>
/// A tbf peak rate: a second bucket, one packet deep, that caps how fast the burst itself drains.
/// </summary>
/// <param name="RateBytesPerSecond">The peak rate, above the sustained rate.</param>
/// <param name="MtuBytes">The second bucket's size (the largest packet), sent as <c>TCA_TBF_PBURST</c>.</param>
/// <param name="MtuTicks">The same as transmit time at the peak rate, in psched ticks (the mtu field of TCA_TBF_PARMS).</param>
public readonly record struct TbfPeak(ulong RateBytesPerSecond, uint MtuBytes, uint MtuTicks)
{
    /// <summary>A peak rate with its bucket, the tick count computed as tc computes it.</summary>
    /// <param name="rateBytesPerSecond">The peak rate, at least 1.</param>
    /// <param name="mtuBytes">The largest packet, at least 1.</param>
    /// <param name="clock">The scheduler clock; null for this kernel's.</param>
    /// <returns>The peak.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A zero rate or MTU.</exception>
    public static TbfPeak FromRate(ulong rateBytesPerSecond, uint mtuBytes, PschedClock? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rateBytesPerSecond);
        ArgumentOutOfRangeException.ThrowIfZero(mtuBytes);
        clock ??= PschedClock.Current;
        return new TbfPeak(rateBytesPerSecond, mtuBytes, TbfParameters.TransmitTicks(rateBytesPerSecond, mtuBytes, clock));
    }
}
