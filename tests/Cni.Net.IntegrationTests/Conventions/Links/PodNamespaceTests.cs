using Cni.Net.Conventions.Links;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Conventions.Links;

/// <summary><see cref="PodNamespace.IsInterfaceFree"/>: asked before IPAM starts early, so only a free name says yes.</summary>
public sealed class PodNamespaceTests
{
    [Fact]
    public void IsInterfaceFree_TrueUntilTheNameIsTaken_FalseForANamespaceThatCannotBeRead()
    {
        using var pod = new TestNamespace("podfree");
        Assert.True(PodNamespace.IsInterfaceFree(pod.Path, "eth0"));

        pod.ExecCheck("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0");
        Assert.False(PodNamespace.IsInterfaceFree(pod.Path, "eth0"));
        Assert.True(PodNamespace.IsInterfaceFree(pod.Path, "eth1"));

        Assert.False(PodNamespace.IsInterfaceFree("/run/netns/cnt-no-such-pod", "eth0"));
        Assert.False(PodNamespace.IsInterfaceFree("", "eth0"));
        Assert.False(PodNamespace.IsInterfaceFree(null, "eth0"));
        // A file that is not a namespace.
        string notANamespace = Path.Combine(pod.ScratchDirectory, "plain-file");
        File.WriteAllText(notANamespace, "x");
        Assert.False(PodNamespace.IsInterfaceFree(notANamespace, "eth0"));
    }
}
