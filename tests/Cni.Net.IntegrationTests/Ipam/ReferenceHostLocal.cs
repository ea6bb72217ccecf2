using System.Diagnostics;
using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;

namespace Cni.Net.IntegrationTests.Ipam;

/// <summary>Runs the reference Go host-local (<c>/usr/lib/cni/host-local</c>) the way a runtime would.</summary>
internal static class ReferenceHostLocal
{
    public const string Binary = "/usr/lib/cni/host-local";

    public static Dictionary<string, string> Environment(string command, string containerId, string ifName = "eth0", string? args = null)
    {
        var env = new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = command,
            ["CNI_CONTAINERID"] = containerId,
            // host-local never enters the namespace; any path satisfies skel's check.
            ["CNI_NETNS"] = "/var/run/netns/unused",
            ["CNI_IFNAME"] = ifName,
            ["CNI_PATH"] = "/usr/lib/cni",
        };
        if (args is not null)
        {
            env["CNI_ARGS"] = args;
        }
        return env;
    }

    public static Shell.Output Run(string binary, string command, string containerId, string config, string ifName = "eth0", string? args = null) =>
        Shell.Run(binary, [], config, Environment(command, containerId, ifName, args));

    /// <summary>Runs ADD and returns the addresses of the result ("10.0.0.2/24", ...).</summary>
    public static string[] Add(string binary, string containerId, string config, string ifName = "eth0", string? args = null)
    {
        Shell.Output r = Run(binary, "ADD", containerId, config, ifName, args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{binary} ADD {containerId} failed ({r.ExitCode}): {r.StdOut}{r.StdErr}");
        }
        using JsonDocument doc = JsonDocument.Parse(r.StdOut);
        return [.. doc.RootElement.GetProperty("ips").EnumerateArray().Select(ip => ip.GetProperty("address").GetString()!)];
    }

    public static void Del(string binary, string containerId, string config, string ifName = "eth0")
    {
        Shell.Output r = Run(binary, "DEL", containerId, config, ifName);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"{binary} DEL {containerId} failed ({r.ExitCode}): {r.StdOut}{r.StdErr}");
        }
    }

    /// <summary>Starts ADD without waiting (to observe it blocking on the store lock).</summary>
    public static Process StartAdd(string containerId, string config)
    {
        var psi = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in Environment("ADD", containerId))
        {
            psi.Environment[k] = v;
        }
        Process p = Process.Start(psi)!;
        p.StandardInput.Write(config);
        p.StandardInput.Close();
        return p;
    }
}
