using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Kubelet;

namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// The published plugins start without the .NET runtime's cgroup probe, which reads all of /proc/self/mountinfo
/// twice (its cost grows with the node's mounts, several per pod); the long-lived dhcp daemon keeps it.
/// </summary>
public sealed class CgroupProbeTests
{
    /// <summary>The paths the executable opened while answering VERSION, from <c>strace -f</c>.</summary>
    private static string[] OpenedFiles(string plugin)
    {
        string trace = Path.Combine(Path.GetTempPath(), $"cni-net-startup-{Guid.NewGuid():N}.trace");
        try
        {
            Shell.Output r = Shell.Run("strace", ["-f", "-qq", "-e", "trace=open,openat", "-o", trace, plugin],
                """{"cniVersion":"1.0.0"}""", new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION", ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" });
            Assert.True(r.ExitCode == 0, $"{plugin}: {r.StdOut}{r.StdErr}");
            Assert.Contains("\"supportedVersions\"", r.StdOut, StringComparison.Ordinal);
            return File.ReadAllLines(trace);
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Fact]
    public void PublishedPlugins_DoNotReadMountinfo_ButTheDhcpDaemonDoes()
    {
        string? bin = KubeletTestNode.OurPluginDir();
        Assert.True(bin is not null && File.Exists(Path.Combine(bin, "bridge")), "artifacts/cni/bin has no published plugins (eng/publish.sh)");
        string[] plugins = Directory.GetFiles(bin!);
        Assert.True(plugins.Length >= 14, string.Join(", ", plugins));
        foreach (string plugin in plugins)
        {
            string[] opened = OpenedFiles(plugin);
            bool probed = opened.Any(l => l.Contains("\"/proc/self/mountinfo\"", StringComparison.Ordinal));
            // Every other file opens as before: the runtime still reads its own /proc entries.
            Assert.Contains(opened, l => l.Contains("\"/proc/", StringComparison.Ordinal) || l.Contains("\"/sys/", StringComparison.Ordinal));
            Assert.True(probed == (Path.GetFileName(plugin) == "dhcp"), $"{plugin}: mountinfo read = {probed}\n{string.Join('\n', opened)}");
        }
    }
}
