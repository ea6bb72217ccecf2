using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Configuration;
using Cni.Net.Execution;
using Cni.Net.Spec;
using Cni.Net.Netfilter.NfTables;

namespace Cni.Tool;

/// <summary>
/// cni-tool: runs a network from a conf dir against a network namespace, with the conventions of the reference
/// <c>cnitool</c> (NETCONFPATH, CNI_PATH, CNI_IFNAME, CNI_ARGS, CAP_ARGS; container id derived from the netns path),
/// plus <c>list</c>, <c>version</c> and the CNI_CACHE_DIR override. Results and CNI errors are printed as JSON on
/// stdout; the exit code is 0 on success, 1 on failure, 2 on wrong usage.
/// </summary>
internal static class Program
{
    private const string Usage = """
        usage: cni-tool add|check|del <network> <netns-path>
               cni-tool gc|status|version <network> [<netns-path>]
               cni-tool list
        environment: NETCONFPATH (default /etc/cni/net.d), CNI_PATH (default /opt/cni/bin), CNI_IFNAME (default eth0),
                     CNI_ARGS (K=V;K2=V2), CAP_ARGS (JSON object), CNI_CACHE_DIR (default /var/lib/cni)
        """;

    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 1 && args[0] == "list")
        {
            return List(ConfDir());
        }
        bool needsNetns = args.Length > 0 && args[0] is "add" or "check" or "del";
        if (args.Length < 2 || (needsNetns && args.Length < 3) ||
            args[0] is not ("add" or "check" or "del" or "gc" or "status" or "version"))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        CniVersion errorVersion = CniVersion.Latest;
        try
        {
            CniConfigDirectory dir = CniConfigDirectory.Load(ConfDir());
            NetworkConfigFile file = dir.Find(args[1]) ?? throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"no network named \"{args[1]}\" in {dir.Path}");
            NetworkConfigList network = file.Config;
            errorVersion = file.Version;
            CniChainExecutor executor = CreateExecutor();
            switch (args[0])
            {
                case "add":
                {
                    CniResult result = await executor.AddAsync(network, RuntimeRequest(args[2]));
                    WriteStdout(result.ToUtf8Bytes());
                    return 0;
                }
                case "check":
                    await executor.CheckAsync(network, RuntimeRequest(args[2]));
                    return 0;
                case "del":
                    await executor.DelAsync(network, RuntimeRequest(args[2]));
                    return 0;
                case "gc":
                {
                    // As cnitool: no valid attachments are passed, so every cached attachment of the network is stale.
                    IReadOnlyList<CniException> errors = await executor.GCAsync(network, null);
                    if (errors.Count == 0)
                    {
                        return 0;
                    }
                    WriteErrors(errors, errorVersion);
                    return 1;
                }
                case "status":
                {
                    CniNetworkStatus status = await executor.StatusAsync(network);
                    if (status.Error is null)
                    {
                        return 0;
                    }
                    WriteStdout(status.Error.ToError(errorVersion).ToUtf8Bytes());
                    return 1;
                }
                default:
                    return await PrintVersions(executor, network);
            }
        }
        catch (CniException e)
        {
            WriteStdout(e.ToError(errorVersion).ToUtf8Bytes());
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            WriteStdout(new CniException(CniErrorCode.IOFailure, e.Message).ToError(errorVersion).ToUtf8Bytes());
            return 1;
        }
    }

    private static string ConfDir() => Env("NETCONFPATH") ?? "/etc/cni/net.d";

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static CniChainExecutor CreateExecutor()
    {
        var options = new CniExecutorOptions();
        if (Env("CNI_PATH") is { } path)
        {
            options.PluginDirectories.Clear();
            foreach (string dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                options.PluginDirectories.Add(dir);
            }
        }
        if (Env("CNI_CACHE_DIR") is { } cache)
        {
            options.CacheDirectory = cache;
        }
        // The tool's own CNI_* settings are inputs, not something to pass on to the plugins' environment.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && e.Value is string v && k is not ("CAP_ARGS" or "NETCONFPATH" or "CNI_CACHE_DIR"))
            {
                environment[k] = v;
            }
        }
        options.Environment = environment;
        return new CniChainExecutor(options);
    }

    private static CniRuntimeRequest RuntimeRequest(string netnsArgument)
    {
        string netns = Path.GetFullPath(netnsArgument);
        string ifName = Environment.GetEnvironmentVariable("CNI_IFNAME") ?? "eth0";
        var args = new List<KeyValuePair<string, string>>();
        if (Env("CNI_ARGS") is { } cniArgs)
        {
            foreach (string pair in cniArgs.Split(';'))
            {
                string[] kv = pair.Split('=');
                if (kv.Length != 2 || kv[0].Length == 0 || kv[1].Length == 0)
                {
                    throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"invalid CNI_ARGS pair \"{pair}\"");
                }
                args.Add(new(kv[0], kv[1]));
            }
        }
        JsonObject? capabilityArgs = null;
        if (Env("CAP_ARGS") is { } cap)
        {
            try
            {
                capabilityArgs = JsonNode.Parse(cap) as JsonObject
                    ?? throw new CniException(CniErrorCode.DecodingFailure, "CAP_ARGS must be a JSON object");
            }
            catch (JsonException e)
            {
                throw new CniException(CniErrorCode.DecodingFailure, $"CAP_ARGS is not valid JSON: {e.Message}");
            }
        }
        return new CniRuntimeRequest(ContainerIdFor(netns), netns, ifName) { Args = args, CapabilityArgs = capabilityArgs };
    }

    /// <summary>cnitool's container id: "cnitool-" and the first 10 bytes of SHA-512 of the absolute netns path, in hex.</summary>
    internal static string ContainerIdFor(string netns)
    {
        byte[] hash = SHA512.HashData(Encoding.UTF8.GetBytes(netns));
        return "cnitool-" + Convert.ToHexStringLower(hash.AsSpan(0, 10));
    }

    private static async Task<int> PrintVersions(CniChainExecutor executor, NetworkConfigList network)
    {
        var buffer = new ArrayBufferWriter<byte>();
        IReadOnlyList<CniException> problems = await executor.ValidateAsync(network);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("network", network.Name);
            w.WriteString("cniVersion", network.NegotiateVersion().ToString());
            w.WriteStartArray("plugins");
            foreach (PluginConfig plugin in network.Plugins)
            {
                w.WriteStartObject();
                w.WriteString("type", plugin.Type);
                try
                {
                    CniPluginVersionInfo info = await executor.GetVersionInfoAsync(plugin.Type);
                    w.WriteStartArray("supportedVersions");
                    foreach (CniVersion v in info.SupportedVersions)
                    {
                        w.WriteStringValue(v.ToString());
                    }
                    w.WriteEndArray();
                }
                catch (CniException e)
                {
                    w.WriteString("error", e.Message);
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("problems");
            foreach (CniException p in problems)
            {
                w.WriteStringValue(p.Message);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        WriteStdout(buffer.WrittenSpan);
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>The networks in the order a kubelet picks them (the first is its default), then what was skipped and why.</summary>
    private static int List(string confDir)
    {
        CniConfigDirectory dir;
        try
        {
            dir = CniConfigDirectory.Load(confDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"cannot read {confDir}: {e.Message}");
            return 1;
        }
        var output = new StringBuilder();
        output.AppendLine($"networks in {dir.Path} (first = default):");
        if (dir.Networks.Count == 0)
        {
            output.AppendLine("  (none)");
        }
        for (int i = 0; i < dir.Networks.Count; i++)
        {
            NetworkConfigFile n = dir.Networks[i];
            output.AppendLine(
                $"  {i + 1}. {n.Config.Name}  cniVersion {n.Version}  plugins [{string.Join(", ", n.Config.Plugins.Select(p => p.Type))}]  {n.Path}");
        }
        if (dir.Skipped.Count > 0)
        {
            output.AppendLine("skipped:");
            foreach (SkippedConfigFile s in dir.Skipped)
            {
                output.AppendLine($"  {s.Path}: {s.Reason}");
            }
        }
        Console.Out.Write(output.ToString());
        return 0;
    }

    private static void WriteErrors(IReadOnlyList<CniException> errors, CniVersion version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartArray();
            foreach (CniException e in errors)
            {
                e.ToError(version).WriteTo(w);
            }
            w.WriteEndArray();
        }
        WriteStdout(buffer.WrittenSpan);
    }

    private static void WriteStdout(ReadOnlySpan<byte> bytes)
    {
        using Stream stdout = Console.OpenStandardOutput();
        stdout.Write(bytes);
        stdout.Write("\n"u8);
    }
}
