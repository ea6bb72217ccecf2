namespace Cni.Net.IntegrationTests.Infrastructure;

/// <summary>Preconditions of the real-kernel tests.</summary>
internal static class Require
{
    /// <summary>
    /// Skips when the running kernel lacks a link kind (dummy, vlan and ipvlan are not built into the CI kernel).
    /// The reason starts with "kernel lacks" — the only kind of skip that eng/test.sh accepts under CI.
    /// </summary>
    public static void LinkKind(string kind)
    {
        using var ns = new TestNamespace("probe");
        Shell.Output r = Shell.Run("ip", ["-n", ns.Name, "link", "add", "probe0", "type", kind]);
        if (r.ExitCode != 0)
        {
            Assert.Skip($"kernel lacks link kind '{kind}': {r.StdErr.Trim()}");
        }
    }

    /// <summary>
    /// Node-level state (iptables rules, sysctls) must never be changed in the machine's root namespace:
    /// eng/test.sh runs this assembly under <c>unshare --net</c>.
    /// </summary>
    public static void NotInRootNamespace()
    {
        // eng/test.sh records the namespace it started in; the tests must be in another one.
        string? outer = Environment.GetEnvironmentVariable("CNI_NET_TEST_OUTER_NETNS");
        string? self = new FileInfo("/proc/self/ns/net").ResolveLinkTarget(false)?.Name;
        if (string.IsNullOrEmpty(outer) || self is null || self == outer)
        {
            throw new InvalidOperationException(
                "integration tests change node-level state: run them through eng/test.sh (unshare --net), not in the root namespace");
        }
    }
}
