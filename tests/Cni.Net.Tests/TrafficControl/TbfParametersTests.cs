using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.Tests.TrafficControl;

public class TbfParametersTests
{
    private static readonly PschedClock s_clock = PschedClock.Parse("000003e8 00000040 000f4240 3b9aca00\n");

    [Fact]
    public void PschedClock_ThisMachinesFormat_Is15Point625TicksPerMicrosecond()
    {
        Assert.Equal(15.625, s_clock.TicksPerMicrosecond);
    }

    [Fact]
    public void PschedClock_GigahertzResolution_UsesSecondWord()
    {
        Assert.Equal(64.0 / 64.0 * 1000, PschedClock.Parse("00000001 00000040 3b9aca00 3b9aca00").TicksPerMicrosecond);
    }

    [Fact]
    public void PschedClock_ThisKernel_Parses()
    {
        Assert.True(PschedClock.Current.TicksPerMicrosecond > 0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("1 2 3")]
    [InlineData("zz 40 f4240 3b9aca00")]
    [InlineData("3e8 0 f4240 3b9aca00")]
    public void PschedClock_Malformed_Throws(string text)
    {
        Assert.Throws<FormatException>(() => PschedClock.Parse(text));
    }

    [Fact]
    public void FromBandwidth_TenMegabit_AsReference()
    {
        // rate 10 Mbit/s, burst 10 Mbit: 1,250,000 B/s, 1,250,000 B, 1 s = 15,625,000 ticks, limit 31,250 + burst.
        Assert.Equal(new TbfParameters(1_250_000, 1_250_000, 15_625_000, 1_281_250),
            TbfParameters.FromBandwidth(10_000_000, 10_000_000, s_clock));
    }

    [Fact]
    public void FromBandwidth_BitsNotMultipleOfEight_TruncateLikeReference()
    {
        // 1,000,007 bits/s -> 125,000 B/s; 80,001 bits -> 10,000 B; 80,000 us -> 1,250,000 ticks; limit 3,125 + 10,000.
        Assert.Equal(new TbfParameters(125_000, 10_000, 1_250_000, 13_125), TbfParameters.FromBandwidth(1_000_007, 80_001, s_clock));
    }

    [Fact]
    public void FromBandwidth_ContainerdHugeBurst_SaturatesInsteadOfWrapping()
    {
        TbfParameters p = TbfParameters.FromBandwidth(1_000_000, uint.MaxValue, s_clock);
        Assert.Equal(536_870_911u, p.BurstBytes);
        Assert.Equal(uint.MaxValue, p.BufferTicks);
        Assert.Equal(536_874_036u, p.LimitBytes);
    }

    [Fact]
    public void FromBandwidth_HugeRate_Uses64BitRate_AndSaturatesLimit()
    {
        TbfParameters p = TbfParameters.FromBandwidth(1_000_000_000_000_000, 8_000_000, s_clock);
        Assert.Equal(125_000_000_000_000ul, p.RateBytesPerSecond);
        Assert.Equal(uint.MaxValue, p.LimitBytes);
        // 1,000,000 B at 1.25e14 B/s is 0.008 us: 0 ticks in PARMS, which is why TCA_TBF_BURST carries the bytes.
        Assert.Equal(0u, p.BufferTicks);
    }

    [Theory]
    [InlineData(0ul, 100ul)]
    [InlineData(7ul, 100ul)]
    [InlineData(100ul, 0ul)]
    public void FromBandwidth_BelowOneByte_Throws(ulong rate, ulong burst)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TbfParameters.FromBandwidth(rate, burst, s_clock));
    }

    [Fact]
    public void IfbName_MatchesReferenceHash()
    {
        Assert.Equal("bwp252f4939ab20", IfbNames.ForContainer("demo", "ctr-abc123"));
    }
}
