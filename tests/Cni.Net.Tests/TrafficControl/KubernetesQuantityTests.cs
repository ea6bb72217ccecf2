using Cni.Net.TrafficControl;
using Cni.Net.Conventions;

namespace Cni.Net.Tests.TrafficControl;

// Expected values follow k8s.io/apimachinery resource.ParseQuantity(s).Value().
public class KubernetesQuantityTests
{
    [Theory]
    [InlineData("1M", 1_000_000)]
    [InlineData("10Mi", 10_485_760)]
    [InlineData("500k", 500_000)]
    [InlineData("1G", 1_000_000_000)]
    [InlineData("100m", 1)]
    [InlineData("1e6", 1_000_000)]
    [InlineData("1E6", 1_000_000)]
    [InlineData("1e+6", 1_000_000)]
    [InlineData("1e-3", 1)]
    [InlineData("12n", 1)]
    [InlineData("3u", 1)]
    [InlineData("1500m", 2)]
    [InlineData("1.5", 2)]
    [InlineData("1.5Gi", 1_610_612_736)]
    [InlineData("0.1Ki", 103)]
    [InlineData("0.001Ki", 2)]
    [InlineData("1.G", 1_000_000_000)]
    [InlineData(".5k", 500)]
    [InlineData("+1k", 1000)]
    [InlineData("-1k", -1000)]
    [InlineData("-1.5", -2)]
    [InlineData("007", 7)]
    [InlineData("0", 0)]
    [InlineData("0.000", 0)]
    [InlineData("M", 0)]
    [InlineData("-", 0)]
    [InlineData("1E", 1_000_000_000_000_000_000)]
    [InlineData("9E", 9_000_000_000_000_000_000)]
    [InlineData("10E", long.MaxValue)]
    [InlineData("8Ei", long.MaxValue)]
    [InlineData("1e100", long.MaxValue)]
    [InlineData("1e-100", 1)]
    [InlineData("7Ei", 8_070_450_532_247_928_832)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("9223372036854775808", long.MaxValue)]
    public void ParseValue_AsKubernetes(string text, long expected)
    {
        Assert.Equal(expected, KubernetesQuantity.ParseValue(text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("1K", "suffix")]
    [InlineData("1Mi5", "suffix")]
    [InlineData("1e", "suffix")]
    [InlineData("1ee", "suffix")]
    [InlineData("1kb", "regular expression")]
    [InlineData("1 M", "regular expression")]
    [InlineData(" 1M", "regular expression")]
    [InlineData("abc", "regular expression")]
    [InlineData("1.5.5", "regular expression")]
    [InlineData("5e1.5", "regular expression")]
    [InlineData("0x10", "regular expression")]
    public void ParseValue_Invalid_ThrowsWithReason(string text, string reason)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => KubernetesQuantity.ParseValue(text));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{text}'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1k", 1000)]
    [InlineData("10M", 10_000_000)]
    [InlineData("1P", 1_000_000_000_000_000)]
    public void ParseBandwidth_ReasonableValues(string text, long expected)
    {
        Assert.Equal(expected, KubernetesQuantity.ParseBandwidth(text));
    }

    [Theory]
    [InlineData("999", "small")]
    [InlineData("100m", "small")]
    [InlineData("-10M", "small")]
    [InlineData("1001T", "large")]
    [InlineData("2P", "large")]
    public void ParseBandwidth_Unreasonable_Throws(string text, string why)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => KubernetesQuantity.ParseBandwidth(text));
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }
}
