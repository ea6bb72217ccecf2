using Cni.Net.Conventions;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;

namespace Cni.Net.IntegrationTests.Conventions;

/// <summary>The STATUS probes on the real kernel: they succeed here, and leave nothing in the caller's namespace.</summary>
public sealed class KernelFacilitiesTests
{
    private static string Snapshot(TestNamespace ns) =>
        ns.ExecCheck("ip", "-d", "link", "show") + ns.ExecCheck("tc", "qdisc", "show") + ns.ExecCheck("nft", "list", "ruleset");

    [Fact]
    public void Probes_ThisKernelHasEverything_AndTheCallersNamespaceIsUntouched()
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("probe");
        string before = Snapshot(ns);
        using NetworkNamespace handle = NetworkNamespace.Open(ns.Path);
        (string? nft, string? shaping, string? bridge) = handle.Run(() =>
            (KernelFacilities.ProbeNfTables(), KernelFacilities.ProbeTrafficShaping(), KernelFacilities.ProbeBridge()));
        Assert.Null(nft);
        Assert.Null(shaping);
        Assert.Null(bridge);
        Assert.Equal(before, Snapshot(ns));
        Assert.DoesNotContain("cniprobe0", Shell.Check("ip", "link", "show"), StringComparison.Ordinal);
    }

    [Fact]
    public void ProbeBridge_ByName_ReadyWhenBridgeOrCreatable_NotWhenAnotherKindHoldsTheName()
    {
        Require.NotInRootNamespace();
        using var ns = new TestNamespace("probebr");
        using NetworkNamespace handle = NetworkNamespace.Open(ns.Path);
        Assert.Null(handle.Run(() => KernelFacilities.ProbeBridge("cnibr9")));
        ns.ExecCheck("ip", "link", "add", "cnibr9", "type", "veth", "peer", "name", "cnibr9p");
        Assert.Equal("the bridge cnibr9 cannot be created: a link of kind 'veth' has that name",
            handle.Run(() => KernelFacilities.ProbeBridge("cnibr9")));
        ns.ExecCheck("ip", "link", "del", "cnibr9");
        ns.ExecCheck("ip", "link", "add", "cnibr9", "type", "bridge");
        Assert.Null(handle.Run(() => KernelFacilities.ProbeBridge("cnibr9")));
    }
}
