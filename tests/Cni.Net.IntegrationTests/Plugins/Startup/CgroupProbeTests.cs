namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// The published plugins start without two of the .NET runtime's start-up probes: the cgroup probe, which reads all of
/// /proc/self/mountinfo twice (its cost grows with the node's mounts, several per pod), and the GC's read of the CPU
/// cache sizes from sysfs (nine kernfs files). The long-lived dhcp daemon keeps both.
/// </summary>
public sealed class CgroupProbeTests
{
    private const string CacheSizes = "\"/sys/devices/system/cpu/cpu0/cache/";

    [Fact]
    public void PublishedPlugins_DoNotReadMountinfo_NorTheCacheSizes_ButTheDhcpDaemonDoes()
    {
        string[] plugins = StartupTrace.PublishedPlugins();
        foreach (string plugin in plugins)
        {
            string[] opened = StartupTrace.Version(plugin, "trace=open,openat");
            bool probed = opened.Any(l => l.Contains("\"/proc/self/mountinfo\"", StringComparison.Ordinal));
            bool cacheProbed = opened.Any(l => l.Contains(CacheSizes, StringComparison.Ordinal));
            // Every other file opens as before: the runtime still reads its own /proc and /sys entries.
            Assert.Contains(opened, l => l.Contains("\"/proc/", StringComparison.Ordinal) || l.Contains("\"/sys/", StringComparison.Ordinal));
            bool daemon = Path.GetFileName(plugin) == "dhcp";
            Assert.True(probed == daemon, $"{plugin}: mountinfo read = {probed}\n{string.Join('\n', opened)}");
            Assert.True(cacheProbed == daemon, $"{plugin}: cache sizes read = {cacheProbed}\n{string.Join('\n', opened)}");
        }
    }
}
