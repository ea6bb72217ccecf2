using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Kubelet;

namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>What an executable does while it answers VERSION, from <c>strace -f</c>: how the start-up tests look.</summary>
internal static class StartupTrace
{
    /// <summary>Every plugin eng/publish.sh put in artifacts/cni/bin.</summary>
    public static string[] PublishedPlugins()
    {
        string? bin = KubeletTestNode.OurPluginDir();
        Assert.True(bin is not null && File.Exists(Path.Combine(bin, "bridge")), "artifacts/cni/bin has no published plugins (eng/publish.sh)");
        string[] plugins = Directory.GetFiles(bin!);
        Assert.True(plugins.Length >= 14, string.Join(", ", plugins));
        return plugins;
    }

    /// <summary>The lines of <c>strace -f -qq -e <paramref name="filter"/></c> of one VERSION of <paramref name="plugin"/>.</summary>
    public static string[] Version(string plugin, string filter)
    {
        string trace = Path.Combine(Path.GetTempPath(), $"cni-net-startup-{Guid.NewGuid():N}.trace");
        try
        {
            Shell.Output r = Shell.Run("strace", ["-f", "-qq", "-e", filter, "-o", trace, plugin],
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
}
