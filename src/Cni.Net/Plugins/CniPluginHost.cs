using System.Buffers;
using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Interop;
using Cni.Net.Namespaces;
using Cni.Net.Netfilter;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cni.Net.Plugins;

/// <summary>
/// Runs an <see cref="ICniPlugin"/> as a CNI plugin executable (what skel is to a Go plugin): reads CNI_* and stdin,
/// validates them per command, answers VERSION itself, checks the config's version against the plugin's, gates
/// CHECK/GC/STATUS by version, converts the ADD result to the config's version and prints it, or prints the error
/// object (with <c>cniVersion</c>) and exits 1. No exception escapes as a stack trace.
/// </summary>
public static class CniPluginHost
{
    /// <summary>Runs the plugin for this process: <c>static int Main() =&gt; CniPluginHost.Run(new MyPlugin());</c></summary>
    /// <returns>The process exit code: 0 on success, 1 on failure.</returns>
    public static int Run(ICniPlugin plugin, CniPluginHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        options ??= new CniPluginHostOptions();
        NetworkNamespace.StartsOwnThreads = true;
        DetachedProcess.ProcessExitsAfterRequest = true;
        DetachedProcess.OptedOut = !DetachedCleanupAllowed();
        try
        {
            Dictionary<string, string> environment = Snapshot(System.Environment.GetEnvironmentVariables());
            if (string.IsNullOrEmpty(environment.GetValueOrDefault("CNI_COMMAND")) && options.About is not null)
            {
                Console.Error.WriteLine(options.About);
                return 0;
            }
            byte[] stdin = PluginStdio.ReadStdin();
            using CniLogProvider? logs = OpenProcessLog(options, environment, stdin, out ILogger? logger);
            CniPluginOutcome outcome = InvokeAsPluginProcess(plugin, environment, stdin, options, logger, logs);
            PluginStdio.WriteStdout(outcome.Stdout);
            ReleaseAfterExit();
            return outcome.ExitCode;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            // stdin/stdout are gone: nothing can be reported on them.
            Console.Error.WriteLine($"CNI plugin host: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>
    /// The variable with which a node operator keeps a plugin process from leaving the kernel's clean-up to a detached
    /// process (<see cref="DetachedProcess"/>): <c>0</c> and the process waits for it, as the reference plugins do.
    /// </summary>
    internal const string DetachedCleanupVariable = "CNI_NET_DETACHED_CLEANUP";

    internal static bool DetachedCleanupAllowed() =>
        !string.Equals(System.Environment.GetEnvironmentVariable(DetachedCleanupVariable), "0", StringComparison.Ordinal);

    /// <summary>
    /// Last in a plugin process, once the answer is written: when nf_tables objects were deleted, releasing the process's
    /// netfilter sockets waits for their destroy work (a grace period, 8–10 ms), so their last close is left to a
    /// detached process that outlives this one (<see cref="DetachedProcess.TryReleaseAfterExit"/>).
    /// </summary>
    internal static void ReleaseAfterExit()
    {
        if (NfnetlinkSocketPool.ObjectsDeleted)
        {
            _ = DetachedProcess.TryReleaseAfterExit();
        }
    }

    /// <summary>
    /// The one invocation of a plugin process (<see cref="Run"/>, and the plugin server's shim when it runs the handler
    /// itself; both set <see cref="NetworkNamespace.StartsOwnThreads"/>): delegations block, and this thread
    /// waits for the outcome keeping the process's deadlines (<see cref="ProcessDeadlines"/>).
    /// </summary>
    internal static CniPluginOutcome InvokeAsPluginProcess(ICniPlugin plugin, Dictionary<string, string> environment, byte[] stdin,
        CniPluginHostOptions options, ILogger? processLogger, CniLogProvider? processLog)
    {
        var deadlines = new ProcessDeadlines();
        ValueTask<CniPluginOutcome> invocation = InvokeAsync(plugin, environment, stdin, options, CancellationToken.None,
            blockingDelegation: true, processLogger, processLog, deadlines);
        // A plugin that completes synchronously never needs the Task machinery.
        if (invocation.IsCompletedSuccessfully)
        {
            return invocation.Result;
        }
        Task<CniPluginOutcome> pending = invocation.AsTask();
        deadlines.Wait(pending);
        return pending.GetAwaiter().GetResult();
    }

    /// <summary>
    /// The log of a plugin process whose author set no <see cref="CniPluginHostOptions.LoggerFactory"/>: what the
    /// node operator chose through <c>CNI_LOG_FILE</c>/<c>logFile</c> (see <see cref="PluginLogSettings"/>), under
    /// the category <see cref="CniPluginHostOptions.LogCategory"/> or else the executable's name. Null when off.
    /// </summary>
    internal static CniLogProvider? OpenProcessLog(CniPluginHostOptions options, IReadOnlyDictionary<string, string> environment,
        ReadOnlySpan<byte> stdin, out ILogger? logger)
    {
        logger = null;
        if (options.LoggerFactory is not null)
        {
            return null;
        }
        CniLogProvider? logs = PluginLogSettings.Open(environment, stdin);
        if (logs is not null)
        {
            logger = logs.CreateLogger(options.LogCategory ?? Path.GetFileName(System.Environment.ProcessPath) ?? "cni-plugin");
        }
        return logs;
    }

    /// <summary>
    /// The whole plugin contract in memory: environment and stdin in, stdout bytes and exit code out. Used by
    /// <see cref="Run"/> and by the executor for in-process plugins, so both behave identically.
    /// </summary>
    /// <param name="plugin">The plugin.</param>
    /// <param name="environment">The CNI_* variables (and the rest of the environment, passed on to delegates).</param>
    /// <param name="stdin">The config.</param>
    /// <param name="options">The host options.</param>
    /// <param name="cancellationToken">Cancels the plugin's work.</param>
    /// <param name="blockingDelegation">Run delegated plugins (IPAM) on the calling thread: right for a plugin
    /// process, which has nothing else to do meanwhile; in-process callers keep the asynchronous runner.</param>
    /// <param name="processLogger">The logger of <see cref="OpenProcessLog"/>, which takes the place of the options'.</param>
    /// <param name="processLog">Where <paramref name="processLogger"/> writes: in-process delegates log there under their own type.</param>
    /// <param name="processDeadlines">A plugin process's deadlines, kept by the thread waiting for this invocation
    /// (<see cref="Run"/>'s): in-process delegates' timeouts are armed there rather than on a timer.</param>
    internal static async ValueTask<CniPluginOutcome> InvokeAsync(ICniPlugin plugin, Dictionary<string, string> environment,
        ReadOnlyMemory<byte> stdin, CniPluginHostOptions options, CancellationToken cancellationToken, bool blockingDelegation = false,
        ILogger? processLogger = null, CniLogProvider? processLog = null, ProcessDeadlines? processDeadlines = null)
    {
        long started = Stopwatch.GetTimestamp();
        ILogger logger = processLogger ?? options.LoggerFactory?.CreateLogger(options.LogCategory ?? DefaultCategory) ?? NullLogger.Instance;
        CniVersion errorVersion = PeekVersion(stdin.Span) ?? CniVersion.Latest;
        CniCommand? command = null;
        CniPluginRequest? request = null;
        PluginConfig? config = null;
        try
        {
            CniEnvironment env = CniEnvironment.FromEnvironment(environment);
            command = env.Command;
            if (env.Command == CniCommand.Version)
            {
                byte[] versionInfo = WriteVersion(plugin, PeekVersion(stdin.Span));
                LogSuccess(logger, LogLevel.Debug, started, "VERSION", environment, null, null);
                return Success(versionInfo);
            }

            config = ParseConfig(stdin.Span);
            CniVersion version = config.CniVersion ?? CniVersion.V0_1_0;
            errorVersion = version.IsSupported ? version : CniVersion.Latest;
            CheckVersion(plugin, env.Command, version);
            IReadOnlyList<CniAttachmentId> valid = env.Command == CniCommand.GC ? ReadValidAttachments(config) : [];
            request = new CniPluginRequest(env, environment, config, version, stdin, valid, options.DelegationTimeout, logger)
            {
                BlockingDelegation = blockingDelegation,
                HostOptions = options,
                ProcessLog = processLog,
                ProcessDeadlines = processDeadlines,
            };
            PluginHostLog.Invoked(logger, env.Command, request.ContainerId, request.IfName, version);
            if (env.Command is CniCommand.Add or CniCommand.Del)
            {
                RefuseOwnNamespace(env.NetNs, environment.GetValueOrDefault("CNI_NETNS_OVERRIDE"));
            }

            switch (env.Command)
            {
                case CniCommand.Add:
                    CniResult result = await plugin.AddAsync(request, cancellationToken).ConfigureAwait(false);
                    if (result is null)
                    {
                        throw new CniException(CniErrorCode.IOFailure, "the plugin returned no result");
                    }
                    byte[] printed = result.ConvertTo(version).ToUtf8Bytes();
                    LogSuccess(logger, LogLevel.Information, started, "ADD", environment, config, result);
                    return Success(printed);
                case CniCommand.Del:
                    await plugin.DelAsync(request, cancellationToken).ConfigureAwait(false);
                    break;
                case CniCommand.Check:
                    await plugin.CheckAsync(request, cancellationToken).ConfigureAwait(false);
                    break;
                case CniCommand.Status:
                    await plugin.StatusAsync(request, cancellationToken).ConfigureAwait(false);
                    break;
                case CniCommand.GC:
                    await plugin.GCAsync(request, cancellationToken).ConfigureAwait(false);
                    break;
            }
            LogSuccess(logger, LogLevel.Information, started, CommandName(command, environment), environment, config, null);
            return Success([]);
        }
        catch (Exception e)
        {
            CniException error = ToCniException(e);
            LogFailure(logger, started, CommandName(command, environment), environment, config, error, error == e ? null : e);
            if (request is { Command: CniCommand.Add, AllocatedIpamType: { } ipam })
            {
                await ReleaseIpamAsync(request, ipam, logger).ConfigureAwait(false);
            }
            return new CniPluginOutcome(1, error.ToError(errorVersion).ToUtf8Bytes());
        }
    }

    /// <summary>Maps any exception to a CNI error with a spec code; the message never carries a stack trace.</summary>
    internal static CniException ToCniException(Exception e) => e switch
    {
        CniException cni => cni,
        OperationCanceledException or TimeoutException =>
            new CniException(CniErrorCode.TryAgainLater, $"the operation was cancelled or timed out: {e.Message}", null, e),
        JsonException => new CniException(CniErrorCode.DecodingFailure, e.Message, null, e),
        ArgumentException a => new CniException(CniErrorCode.InvalidNetworkConfig, CniException.MessageWithoutParameter(a), null, e),
        FormatException => new CniException(CniErrorCode.InvalidNetworkConfig, e.Message, null, e),
        IOException or UnauthorizedAccessException => new CniException(CniErrorCode.IOFailure, e.Message, null, e),
        _ => new CniException(CniErrorCode.IOFailure, $"{e.GetType().Name}: {e.Message}", null, e),
    };

    private const string DefaultCategory = "Cni.Net.Plugins.CniPluginHost";

    // One line per call, with what an operator looks for: which pod, which network, what it got or why it failed,
    // and how long it took. The strings are built only when the line is written.
    private static void LogSuccess(ILogger logger, LogLevel level, long started, string command,
        Dictionary<string, string> environment, PluginConfig? config, CniResult? result)
    {
        if (!logger.IsEnabled(level))
        {
            return;
        }
        string milliseconds = Milliseconds(started);
        (string containerId, string ifName, string network) = Subject(environment, config);
        if (result is null)
        {
            PluginHostLog.Succeeded(logger, level, command, containerId, ifName, network, milliseconds);
            return;
        }
        var ips = new StringBuilder();
        foreach (CniIPConfig ip in result.IPs)
        {
            ips.Append(ips.Length == 0 ? "" : ",").Append(ip.Address.ToString());
        }
        PluginHostLog.Added(logger, command, containerId, ifName, network, ips.Length == 0 ? "none" : ips.ToString(), milliseconds);
    }

    private static void LogFailure(ILogger logger, long started, string command, Dictionary<string, string> environment,
        PluginConfig? config, CniException error, Exception? unexpected)
    {
        LogLevel level = unexpected is null ? LogLevel.Warning : LogLevel.Error;
        if (!logger.IsEnabled(level))
        {
            return;
        }
        string milliseconds = Milliseconds(started);
        (string containerId, string ifName, string network) = Subject(environment, config);
        if (unexpected is null)
        {
            PluginHostLog.Failed(logger, command, containerId, ifName, network, (int)error.Code, error.Code, error.Message, milliseconds);
        }
        else
        {
            PluginHostLog.Unexpected(logger, command, containerId, ifName, network, (int)error.Code, milliseconds, unexpected);
        }
    }

    // From the raw environment, so even a call rejected for its environment names what it was given ("-" for none).
    private static (string ContainerId, string IfName, string Network) Subject(Dictionary<string, string> environment, PluginConfig? config) =>
        (Given(environment, "CNI_CONTAINERID"), Given(environment, "CNI_IFNAME"), config?.Name is { Length: > 0 } name ? name : "-");

    private static string Given(Dictionary<string, string> environment, string name) =>
        environment.TryGetValue(name, out string? value) && !string.IsNullOrEmpty(value) ? value : "-";

    private static string Milliseconds(long started) =>
        Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F2", CultureInfo.InvariantCulture);

    // The command for a log line even when the environment was rejected before it was read (a missing
    // CNI_CONTAINERID): CNI_COMMAND as given, else a word rather than "(null)".
    private static string CommandName(CniCommand? command, Dictionary<string, string> environment) =>
        command is { } known ? VerbOf(known)
        : environment.TryGetValue("CNI_COMMAND", out string? given) && !string.IsNullOrEmpty(given) ? given : "the request";

    // CNI_COMMAND's spelling. Not Enum.ToString: under NativeAOT that reads the enum's names through reflection
    // metadata, 0.1 ms of every plugin process that logs its outcome (perf).
    internal static string VerbOf(CniCommand command) => command switch
    {
        CniCommand.Add => "ADD",
        CniCommand.Del => "DEL",
        CniCommand.Check => "CHECK",
        CniCommand.Version => "VERSION",
        CniCommand.GC => "GC",
        CniCommand.Status => "STATUS",
        _ => ((int)command).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static async ValueTask ReleaseIpamAsync(CniPluginRequest request, string ipamType, ILogger logger)
    {
        PluginHostLog.ReleasingIpam(logger, ipamType);
        try
        {
            await CniIpam.DelAsync(request, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CniException or IOException or OperationCanceledException)
        {
            PluginHostLog.ReleaseFailed(logger, ipamType, e.Message);
        }
    }

    private static PluginConfig ParseConfig(ReadOnlySpan<byte> stdin)
    {
        if (stdin.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new CniException(CniErrorCode.DecodingFailure, "stdin is empty: the network configuration is missing");
        }
        PluginConfig config = PluginConfig.Parse(stdin);
        string? name = config.Name;
        if (string.IsNullOrEmpty(name))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "missing network name");
        }
        if (!NetworkConfigList.IsValidName(name))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"invalid network name '{name}': it must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
        }
        return config;
    }

    private static void CheckVersion(ICniPlugin plugin, CniCommand command, CniVersion version)
    {
        IReadOnlyList<CniVersion> supported = plugin.SupportedVersions;
        if (!version.IsSupported || !supported.Contains(version))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion, "incompatible CNI versions",
                $"config is \"{version}\", plugin supports [{string.Join(", ", supported.Select(v => $"\"{v}\""))}]");
        }
        CniVersion needed = command switch
        {
            CniCommand.Check => CniVersion.V0_4_0,
            CniCommand.GC or CniCommand.Status => CniVersion.V1_1_0,
            _ => CniVersion.V0_1_0,
        };
        if (version < needed)
        {
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"config version {version} does not allow {VerbOf(command)} (it needs {needed} or later)");
        }
    }

    /// <summary>
    /// skel's guard: ADD and DEL fail with code 8 when <c>CNI_NETNS</c> is the plugin's own network namespace (a
    /// runtime bug that would wire the host itself), unless <c>CNI_NETNS_OVERRIDE</c> is <c>1</c> or <c>true</c> (any
    /// case), which test harnesses set. skel checks after the plugin ran; checking first leaves the host untouched. A
    /// path that is not a namespace (or is gone) is the plugin's business, as in skel.
    /// </summary>
    internal static void RefuseOwnNamespace(string? netNs, string? overrideValue)
    {
        if (string.IsNullOrEmpty(netNs) || overrideValue == "1" || string.Equals(overrideValue, "true", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        // Compared by identity (two statx calls), not by opening both: a path that is not a namespace file cannot share
        // the calling thread's namespace inode, and one that cannot be reached is the plugin's business.
        if (NetworkNamespace.TryIdentifyPath(netNs, out var target) && NetworkNamespace.TryIdentifyPath(NetworkNamespace.CurrentPath, out var own)
            && target == own)
        {
            throw new CniException(CniErrorCode.InvalidNetNs, "plugin's netns and netns from CNI_NETNS should not be the same");
        }
    }

    private static List<CniAttachmentId> ReadValidAttachments(PluginConfig config)
    {
        JsonNode? node = CniJsonKeys.GetProperty(config.Json, "cni.dev/valid-attachments") ?? CniJsonKeys.GetProperty(config.Json, "cni.dev/attachments");
        if (node is null)
        {
            return [];
        }
        if (node is not JsonArray array)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "cni.dev/valid-attachments: expected an array");
        }
        var list = new List<CniAttachmentId>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is not JsonObject o || !CniJsonKeys.TryGetString(o, "containerID", out string? id) ||
                !CniJsonKeys.TryGetString(o, "ifname", out string? ifName))
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"cni.dev/valid-attachments[{i}]: expected {{\"containerID\": string, \"ifname\": string}}");
            }
            list.Add(new CniAttachmentId(id, ifName));
        }
        return list;
    }

    private static byte[] WriteVersion(ICniPlugin plugin, CniVersion? asked)
    {
        CniVersion answer = asked is { IsSupported: true } a ? a : CniVersion.Latest;
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, CniJson.WriterOptions))
        {
            new CniPluginVersionInfo(answer, plugin.SupportedVersions).WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The <c>cniVersion</c> of stdin, if it can be read, so even early errors carry the caller's version.</summary>
    private static CniVersion? PeekVersion(ReadOnlySpan<byte> stdin)
    {
        if (stdin.Trim(" \t\r\n"u8).IsEmpty)
        {
            // VERSION usually comes with empty stdin; the reader would throw (and exceptions are costly at start-up).
            return null;
        }
        try
        {
            var reader = new Utf8JsonReader(stdin);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            CniVersion? version = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = CniJsonKeys.Matches(ref reader, "cniVersion"u8);
                reader.Read();
                if (match)
                {
                    // The last of repeated keys wins, as in Go.
                    version = reader.TokenType == JsonTokenType.String && CniVersion.TryParse(reader.GetString(), out CniVersion v)
                        ? v
                        : null;
                }
                reader.Skip();
            }
            return version;
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
            // A string that cannot be transcoded (invalid UTF-8, a lone surrogate): the config reader reports it.
        }
        return null;
    }

    private static CniPluginOutcome Success(byte[] stdout) => new(0, stdout);

    /// <summary>The error object a plugin prints for <paramref name="error"/>, in the version stdin asks for.</summary>
    internal static CniPluginOutcome Failure(CniException error, ReadOnlySpan<byte> stdin) =>
        new(1, error.ToError(PeekVersion(stdin) ?? CniVersion.Latest).ToUtf8Bytes());

    /// <summary>This process's environment variables.</summary>
    internal static Dictionary<string, string> ProcessEnvironment() => Snapshot(System.Environment.GetEnvironmentVariables());

    private static Dictionary<string, string> Snapshot(IDictionary variables)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in variables)
        {
            if (entry.Key is string k && entry.Value is string v)
            {
                d[k] = v;
            }
        }
        return d;
    }
}

/// <summary>What the plugin would print on stdout, and its exit code.</summary>
internal readonly record struct CniPluginOutcome(int ExitCode, byte[] Stdout);
