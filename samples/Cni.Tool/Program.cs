using System.Buffers;
using System.CommandLine;
using System.CommandLine.Invocation;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Configuration;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Tool;

/// <summary>
/// cni-tool: runs a network from a conf dir against a network namespace, with the conventions of the reference
/// <c>cnitool</c>: the verbs add/check/del/gc/status/version, NETCONFPATH, CNI_PATH, CNI_IFNAME, CNI_ARGS, CAP_ARGS,
/// the container id derived from the netns path, the result on stdout, errors on stderr with exit code 1. Beyond it:
/// <c>list</c>, CNI_CACHE_DIR, <c>--version</c> and <c>-v</c> (the library's log on stderr).
/// </summary>
internal static class Program
{
    private const string EnvironmentHelp = """
        Environment:
          NETCONFPATH    conf dir (default /etc/cni/net.d)
          CNI_PATH       plugin directories, colon-separated (default /opt/cni/bin)
          CNI_IFNAME     interface name in the container (default eth0)
          CNI_ARGS       K=V;K2=V2 passed to the plugins
          CAP_ARGS       capability arguments, a JSON object ({"portMappings":[...]})
          CNI_CACHE_DIR  result cache (default /var/lib/cni)
        """;

    private static async Task<int> Main(string[] args)
    {
        ParseResult parse = BuildCommand().Parse(args);
        if (parse.Action is ParseErrorAction usageError)
        {
            // A usage error goes to stderr alone: stdout stays for results (and --help).
            usageError.ShowHelp = false;
        usageError.ShowTypoCorrections = false; // they would go to stdout
            int exit = await parse.InvokeAsync();
            Console.Error.WriteLine("Run 'cni-tool --help' for usage.");
            return exit;
        }
        return await parse.InvokeAsync();
    }

    internal static RootCommand BuildCommand()
    {
        var verbose = new Option<bool>("--verbose", "-v")
        {
            Description = "Write the library's log (plugin runs, cache, conf dir) to stderr",
            Recursive = true,
        };
        var root = new RootCommand("Runs CNI networks of a conf dir against network namespaces, as cnitool does.\n\n" + EnvironmentHelp);
        root.Options.Add(verbose);

        Command Verb(string name, string description, bool netnsRequired)
        {
            var network = new Argument<string>("network") { Description = "the network's name in the conf dir" };
            var netns = new Argument<string>("netns") { Description = "the network namespace path (/run/netns/NAME)" };
            if (!netnsRequired)
            {
                netns.Arity = ArgumentArity.ZeroOrOne;
            }
            var command = new Command(name, description) { network, netns };
            command.SetAction((parse, cancellationToken) =>
            {
                using TextWriterLoggerFactory? logs = parse.GetValue(verbose) ? new(Console.Error, LogLevel.Debug) : null;
                return RunAsync(name, parse.GetValue(network)!, parse.GetValue(netns), logs, cancellationToken);
            });
            return command;
        }

        root.Subcommands.Add(Verb("add", "Attach the namespace to the network; prints the result", netnsRequired: true));
        root.Subcommands.Add(Verb("check", "Check an attachment", netnsRequired: true));
        root.Subcommands.Add(Verb("del", "Detach the namespace from the network", netnsRequired: true));
        root.Subcommands.Add(Verb("gc", "Remove every cached attachment of the network (no valid attachments are passed)", netnsRequired: false));
        root.Subcommands.Add(Verb("status", "Ask the network's plugins whether they are ready", netnsRequired: false));
        root.Subcommands.Add(Verb("version", "Show the versions the network's plugins support", netnsRequired: false));
        var list = new Command("list", "List the networks of the conf dir in the order a kubelet picks them, and skipped files");
        list.SetAction(parse =>
        {
            using TextWriterLoggerFactory? logs = parse.GetValue(verbose) ? new(Console.Error, LogLevel.Debug) : null;
            return List(ConfDir(), logs);
        });
        root.Subcommands.Add(list);
        return root;
    }

    private static async Task<int> RunAsync(string verb, string networkName, string? netnsArgument, TextWriterLoggerFactory? logs,
        CancellationToken cancellationToken)
    {
        string what = $"{verb} {networkName}";
        try
        {
            CniConfigDirectory dir = CniConfigDirectory.Load(ConfDir(), logs?.CreateLogger("cni-tool"));
            NetworkConfigFile file = dir.Find(networkName) ?? throw new CniException(CniErrorCode.InvalidNetworkConfig,
                dir.Exists ? $"no network named \"{networkName}\" in {dir.Path}" : $"{dir.Path} does not exist (set NETCONFPATH)");
            NetworkConfigList network = file.Config;
            CniChainExecutor executor = CreateExecutor(logs);
            switch (verb)
            {
                case "add":
                {
                    CniResult result = await executor.AddAsync(network, RuntimeRequest(netnsArgument!), cancellationToken);
                    WriteStdout(result.ToUtf8Bytes());
                    return 0;
                }
                case "check":
                    await executor.CheckAsync(network, RuntimeRequest(netnsArgument!), cancellationToken);
                    return 0;
                case "del":
                    await executor.DelAsync(network, RuntimeRequest(netnsArgument!), cancellationToken);
                    return 0;
                case "gc":
                {
                    IReadOnlyList<CniException> errors = await executor.GCAsync(network, null, cancellationToken);
                    foreach (CniException e in errors)
                    {
                        WriteError(what, e);
                    }
                    return errors.Count == 0 ? 0 : 1;
                }
                case "status":
                {
                    CniNetworkStatus status = await executor.StatusAsync(network, cancellationToken);
                    if (status.Error is null)
                    {
                        return 0;
                    }
                    WriteError(what, status.Error);
                    return 1;
                }
                default:
                    return await PrintVersions(executor, network);
            }
        }
        catch (CniException e)
        {
            WriteError(what, e);
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Console.Error.WriteLine($"cni-tool: {what}: {e.Message}");
            return 1;
        }
    }

    private static string ConfDir() => Env("NETCONFPATH") ?? "/etc/cni/net.d";

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static CniChainExecutor CreateExecutor(TextWriterLoggerFactory? loggerFactory)
    {
        var options = new CniExecutorOptions { LoggerFactory = loggerFactory };
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
    private static int List(string confDir, TextWriterLoggerFactory? loggerFactory)
    {
        CniConfigDirectory dir;
        try
        {
            dir = CniConfigDirectory.Load(confDir, loggerFactory?.CreateLogger("cni-tool"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"cni-tool: cannot read {confDir}: {e.Message}");
            return 1;
        }
        if (!dir.Exists)
        {
            Console.Error.WriteLine($"cni-tool: {confDir} does not exist (set NETCONFPATH)");
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

    /// <summary>An error as cnitool reports it: one line on stderr (with the CNI code), its details on the next.</summary>
    private static void WriteError(string what, CniException e)
    {
        Console.Error.WriteLine($"cni-tool: {what}: {e.Message} (CNI code {(uint)e.Code})");
        if (!string.IsNullOrEmpty(e.Details))
        {
            Console.Error.WriteLine($"  {e.Details}");
        }
    }

    private static void WriteStdout(ReadOnlySpan<byte> bytes)
    {
        using Stream stdout = Console.OpenStandardOutput();
        stdout.Write(bytes);
        stdout.Write("\n"u8);
    }
}
