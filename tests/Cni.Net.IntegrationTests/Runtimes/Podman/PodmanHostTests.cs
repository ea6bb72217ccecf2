using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Runtimes.Podman;

/// <summary>The fixture itself: disposing it with containers still running leaves nothing on the machine.</summary>
public sealed class PodmanHostTests
{
    [Fact]
    public void Dispose_WithContainersRunning_LeavesNoProcessMountCgroupLinkOrDirectory()
    {
        var host = new PodmanHost(Path.GetDirectoryName(PluginTestNode.Ours("bridge"))!, PodmanHost.ReferencePlugins);
        PodmanContainer c;
        string bridge, client = host.Client.Name;
        int holder = host.MountNamespaceHolder;
        IReadOnlyList<string> cgroups;
        try
        {
            bridge = host.CreateNetwork(host.Tag).GetProperty("plugins")[0].GetProperty("bridge").GetString()!;
            c = host.RunWebServer("left", host.Tag, "18081:80");
            cgroups = host.Cgroups;
            Assert.NotEmpty(cgroups);
        }
        finally
        {
            host.Dispose();
        }

        foreach (int pid in new[] { c.Pid, c.ConmonPid, holder })
        {
            Assert.False(PodmanHost.IsRunning(pid), $"pid {pid} still runs");
        }
        Assert.DoesNotContain(cgroups, Directory.Exists);
        Assert.False(Directory.Exists(host.Root), $"{host.Root} is left");
        Assert.False(PodmanHost.LinkExists(bridge), $"{bridge} is left");
        Assert.False(PodmanHost.LinkExists(c.HostVeth), $"{c.HostVeth} is left");
        Assert.DoesNotContain(client, Shell.Check("ip", "netns", "list"), StringComparison.Ordinal);
        Assert.DoesNotContain("CNI-", Shell.Check("iptables-save"), StringComparison.Ordinal);
    }
}
