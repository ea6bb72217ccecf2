using System.Text;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// A plugin process's whole input handling: the environment and stdin as a runtime passes them, through
/// <see cref="CniPluginHost"/> to a sample plugin (<see cref="FuzzBridgePlugin"/>, the bridge sample's config record
/// and validation, no kernel work). The input is <c>KEY=VALUE</c> lines (the environment), an empty line, then stdin.
/// Every input must end in an outcome — a result, or a CNI error object on stdout — and no exception the host did not
/// expect (one it could only report as "TypeName: message") may reach its error handling.
/// </summary>
internal static class PluginHostTarget
{
    private static readonly FuzzBridgePlugin s_plugin = new();
    private static readonly UnexpectedExceptionLog s_log = new();
    private static readonly CniPluginHostOptions s_options = new() { LoggerFactory = s_log };

    public static void Run(ReadOnlySpan<byte> data)
    {
        (Dictionary<string, string> env, ReadOnlyMemory<byte> stdin) = Split(data);
        s_log.Unexpected = null;
        CniPluginOutcome outcome = CniPluginHost.InvokeAsync(s_plugin, env, stdin, s_options, default).AsTask().GetAwaiter().GetResult();
        if (s_log.Unexpected is { } e)
        {
            throw new InvalidOperationException($"the plugin host met an unexpected {e.GetType().Name}: {e.Message}", e);
        }
        if (outcome.ExitCode != 0)
        {
            // A failure must still be a CNI error object on stdout.
            _ = CniError.Parse(outcome.Stdout);
        }
    }

    /// <summary>Each spec document as stdin of every command, with a runtime's usual environment.</summary>
    public static IReadOnlyList<byte[]> Seeds()
    {
        var seeds = new List<byte[]>();
        string[] commands = ["ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"];
        IReadOnlyList<byte[]> documents = SpecSeeds.All();
        for (int i = 0; i < documents.Count; i++)
        {
            // Each document once with a command of its own and once as ADD: the corpus stays small.
            foreach (string command in new[] { commands[i % commands.Length], "ADD" }.Distinct())
            {
                string header = $"CNI_COMMAND={command}\nCNI_CONTAINERID=ctr-{i}\nCNI_NETNS=/var/run/netns/fuzz\nCNI_IFNAME=eth0\n" +
                    "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAME=web;K8S_POD_NAMESPACE=default\nCNI_PATH=/opt/cni/bin\n\n";
                seeds.Add([.. Encoding.UTF8.GetBytes(header), .. documents[i]]);
            }
        }
        return seeds;
    }

    /// <summary>The environment lines up to the first empty line, and stdin after it (all stdin if there is none).</summary>
    internal static (Dictionary<string, string> Environment, ReadOnlyMemory<byte> Stdin) Split(ReadOnlySpan<byte> data)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        int end = data.IndexOf("\n\n"u8);
        if (end < 0)
        {
            return (env, data.ToArray());
        }
        foreach (string line in Encoding.UTF8.GetString(data[..end]).Split('\n'))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                env[line[..eq]] = line[(eq + 1)..];
            }
        }
        return (env, data[(end + 2)..].ToArray());
    }
}
