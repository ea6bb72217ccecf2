namespace Cni.Net.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway named network namespace (<c>ip netns add</c>), deleted on dispose, also when the test failed.
/// Names start with <c>cnt-</c> so that a leak is easy to spot.
/// </summary>
internal sealed class TestNamespace : IDisposable
{
    private static int s_counter;

    public TestNamespace(string? hint = null)
    {
        Name = $"cnt-{hint ?? "ns"}-{Environment.ProcessId % 10000}-{Interlocked.Increment(ref s_counter)}";
        Shell.Check("ip", "netns", "add", Name);
        Shell.Check("ip", "-n", Name, "link", "set", "lo", "up");
    }

    public string Name { get; }

    public string Path => "/run/netns/" + Name;

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>).</summary>
    public Shell.Output Exec(params string[] args) => Shell.Run("ip", ["netns", "exec", Name, .. args]);

    /// <summary>Runs a command inside the namespace and requires success.</summary>
    public string ExecCheck(params string[] args) => Shell.Check("ip", ["netns", "exec", Name, .. args]);

    /// <summary><c>ip -j -n ns ...</c> parsed.</summary>
    public System.Text.Json.JsonElement IpJson(params string[] args) => Shell.Json("ip", ["-j", "-d", "-n", Name, .. args]);

    /// <summary>A temporary directory that lives as long as the namespace (tool wrappers, configs); made on first use.</summary>
    public string ScratchDirectory
    {
        get
        {
            string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cni-ns-" + Name);
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    public void Dispose()
    {
        Shell.Run("ip", ["netns", "delete", Name]);
        string scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cni-ns-" + Name);
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }
    }
}
