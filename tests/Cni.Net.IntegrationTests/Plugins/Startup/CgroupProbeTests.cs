namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// The published plugins start without the .NET runtime's cgroup probe, which reads all of /proc/self/mountinfo
/// twice (its cost grows with the node's mounts, several per pod); the long-lived dhcp daemon keeps it.
/// </summary>
public sealed class CgroupProbeTests
{
    [Fact]
    public void PublishedPlugins_DoNotReadMountinfo_ButTheDhcpDaemonDoes()
    {
        string[] plugins = StartupTrace.PublishedPlugins();
        foreach (string plugin in plugins)
        {
            string[] opened = StartupTrace.Version(plugin, "trace=open,openat");
            bool probed = opened.Any(l => l.Contains("\"/proc/self/mountinfo\"", StringComparison.Ordinal));
            // Every other file opens as before: the runtime still reads its own /proc entries.
            Assert.Contains(opened, l => l.Contains("\"/proc/", StringComparison.Ordinal) || l.Contains("\"/sys/", StringComparison.Ordinal));
            Assert.True(probed == (Path.GetFileName(plugin) == "dhcp"), $"{plugin}: mountinfo read = {probed}\n{string.Join('\n', opened)}");
        }
    }
}
