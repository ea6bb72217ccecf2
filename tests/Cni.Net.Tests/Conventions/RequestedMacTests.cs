using System.Net.NetworkInformation;
using Cni.Net.Conventions;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Conventions;

/// <summary>Which MAC address a pod's interface is asked to have, as bridge, macvlan, tap and tuning pick it.</summary>
public class RequestedMacTests
{
    private static readonly CniArgs WithMac = CniArgs.Parse("IgnoreUnknown=1;MAC=02:00:00:00:00:02");

    [Theory]
    [InlineData(null, null, null, null, null)]
    [InlineData("02:00:00:00:00:01", null, null, null, "02:00:00:00:00:01")]
    [InlineData("02:00:00:00:00:01", "MAC", null, null, "02:00:00:00:00:02")]
    [InlineData("02:00:00:00:00:01", "MAC", "02:00:00:00:00:03", null, "02:00:00:00:00:03")]
    [InlineData("02:00:00:00:00:01", "MAC", "02:00:00:00:00:03", "02:00:00:00:00:04", "02:00:00:00:00:04")]
    [InlineData("", null, "", "02:00:00:00:00:04", "02:00:00:00:00:04")]
    [InlineData("02:00:00:00:00:01", null, "", "", "02:00:00:00:00:01")]
    public void EachLaterSource_Overrides(string? configured, string? cniArgs, string? argsCni, string? runtime, string? expected)
    {
        CniArgs args = cniArgs is null ? CniArgs.Empty : WithMac;
        Assert.Equal(expected, RequestedMac.Pick(args, configured, argsCni, runtime));
        PhysicalAddress? mac = RequestedMac.Choose(args, configured, argsCni, runtime);
        Assert.Equal(expected?.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant(), mac?.ToString());
    }

    [Theory]
    [InlineData("0a-58-0a-f4-01-05", "0A580AF40105")]
    [InlineData("0a58.0af4.0105", "0A580AF40105")]
    public void GoFormsOfSixBytes_AreRead(string text, string expected) =>
        Assert.Equal(expected, RequestedMac.Parse(text)!.ToString());

    [Theory]
    [InlineData("zz:00:00:00:00:01")]
    [InlineData("02:00:00:00:00")]
    [InlineData("0a580af40105")]
    [InlineData("02:00:00:00:00:00:00:01")]
    public void NotASixByteMac_IsCode7_NamingTheText(string text)
    {
        var e = Assert.Throws<CniException>(() => RequestedMac.Choose(CniArgs.Empty, runtime: text));
        Assert.Equal(CniErrorCode.InvalidNetworkConfig, e.Code);
        Assert.Equal($"invalid args {text} for MAC addr", e.Message);
    }
}
