using Cni.Net.Interop;
using System.Buffers;
using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Namespaces;
using Cni.Net.Plugins;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Cni.Net.Processes;

namespace Cni.Net.Execution;

/// <summary>
/// Runs network configuration lists the way libcni does — ADD in order threading <c>prevResult</c>, DEL in reverse with
/// the cached result, CHECK, GC, STATUS and VERSION gated on the negotiated spec version — and keeps libcni's result
/// cache. Plugins are exec'd from the plugin directories with a timeout that kills their process group, or, when a
/// runtime registered an <see cref="ICniPlugin"/> for a type, called in-process through the same JSON contract.
/// Operations on one attachment are serialized; GC runs alone. Thread-safe.
/// </summary>
public sealed partial class CniChainExecutor
{
    private static readonly string[] s_cniVariables =
        ["CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"];

    private readonly string[] _pluginDirectories;
    private readonly string _cniPath;
    private readonly TimeSpan _timeout;
    private readonly int _maxOutputBytes;
    private readonly List<string> _baseEnvironment;
    private readonly ILogger _logger;
    private readonly CniResultCache _cache;
    private readonly CniAttachmentLocks _locks = new();
    private readonly ConcurrentDictionary<string, ICniPlugin> _inProcess = new(StringComparer.Ordinal);
    private readonly CniPluginHostOptions _hostOptions;

    /// <summary>Creates an executor.</summary>
    public CniChainExecutor(CniExecutorOptions? options = null)
    {
        options ??= new CniExecutorOptions();
        _pluginDirectories = [.. options.PluginDirectories];
        _cniPath = string.Join(':', _pluginDirectories);
        _timeout = options.PluginTimeout;
        _maxOutputBytes = options.MaxPluginOutputBytes;
        _logger = options.LoggerFactory?.CreateLogger("Cni.Net.Execution.CniChainExecutor") ?? NullLogger.Instance;
        _cache = new CniResultCache(options.CacheDirectory, _logger);
        _baseEnvironment = [];
        IEnumerable<KeyValuePair<string, string>> source = options.Environment ?? ProcessEnvironment();
        foreach (var (key, value) in source)
        {
            if (Array.IndexOf(s_cniVariables, key) < 0)
            {
                _baseEnvironment.Add($"{key}={value}");
            }
        }
        // Delegations (IPAM) of in-process plugins stay in-process when their plugin is registered too.
        _hostOptions = new CniPluginHostOptions { LoggerFactory = options.LoggerFactory, DelegationTimeout = _timeout, DelegatePlugins = _inProcess };
    }

    /// <summary>The plugin search directories, in order.</summary>
    public IReadOnlyList<string> PluginDirectories => _pluginDirectories;

    /// <summary>
    /// Calls <paramref name="plugin"/> in-process, instead of exec'ing a binary, for configs whose <c>type</c> is
    /// <paramref name="type"/>. The plugin gets exactly the environment and stdin an exec'd binary would, through
    /// <see cref="CniPluginHost"/>, so results and errors are identical. Namespace work inside it must not
    /// <c>setns</c> a thread-pool thread (see the Namespaces API).
    /// </summary>
    /// <exception cref="CniException">Code 7: <paramref name="type"/> is not a bare file name.</exception>
    public void RegisterPlugin(string type, ICniPlugin plugin)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(plugin);
        CniPluginLocator.ValidateType(type);
        _inProcess[type] = plugin;
    }

    /// <summary>The cached result of the last successful ADD of <paramref name="network"/> for the request's container
    /// and interface, converted to the network's negotiated version; <see langword="null"/> when there is none.</summary>
    public CniResult? GetCachedResult(NetworkConfigList network, CniRuntimeRequest request)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(request);
        return CachedResult(_cache.Read(network.Name, request.ContainerId, request.IfName), network.NegotiateVersion());
    }

    /// <summary>Every attachment in the result cache (including those written by Go runtimes), optionally of one container.</summary>
    public IReadOnlyList<CniCachedAttachment> GetCachedAttachments(string? containerId = null) => _cache.List(containerId);

    private CniResult? CachedResult(CniCachedAttachment? entry, CniVersion version)
    {
        if (entry?.ResultJson is not { } json)
        {
            return null;
        }
        try
        {
            CniResult result = CniResult.Parse(ToUtf8(json), version);
            return result.CniVersion == version ? result : result.ConvertTo(version);
        }
        catch (CniException e)
        {
            ExecutionLog.CacheUnreadable(_logger, entry.FilePath, e.Message);
            return null;
        }
    }

    private async ValueTask<T> InvokeAsync<T>(string pluginType, string command, CniRuntimeRequest? request, byte[] stdin,
        PluginOutputHandler<T> handler, CancellationToken cancellationToken)
    {
        List<string> environment = BuildEnvironment(command, request);
        if (_inProcess.TryGetValue(pluginType, out ICniPlugin? plugin))
        {
            return await InvokeInProcessAsync(plugin, pluginType, command, environment, stdin, handler, cancellationToken)
                .ConfigureAwait(false);
        }
        string path = CniPluginLocator.Find(pluginType, _pluginDirectories);
        var launch = new PluginLaunch(path, pluginType, environment, stdin, _timeout, _maxOutputBytes);
        return await PluginProcessRunner.RunAsync(launch, handler, _logger, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<T> InvokeInProcessAsync<T>(ICniPlugin plugin, string pluginType, string command,
        List<string> environment, byte[] stdin, PluginOutputHandler<T> handler, CancellationToken cancellationToken)
    {
        ExecutionLog.InProcessPlugin(_logger, command, pluginType);
        var variables = new Dictionary<string, string>(environment.Count, StringComparer.Ordinal);
        foreach (string entry in environment)
        {
            int eq = entry.IndexOf('=', StringComparison.Ordinal);
            variables[entry[..eq]] = entry[(eq + 1)..];
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(_timeout);
        CniPluginOutcome outcome = await CniPluginHost.InvokeAsync(plugin, variables, stdin, _hostOptions, limit.Token)
            .ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (limit.IsCancellationRequested && outcome.ExitCode != 0)
        {
            throw new CniException(CniErrorCode.IOFailure,
                $"in-process plugin '{pluginType}' did not finish within {_timeout.TotalSeconds:0.###} s", null, new TimeoutException());
        }
        return handler(new ChildExit(outcome.ExitCode, 0), new ReadOnlySequence<byte>(outcome.Stdout), string.Empty);
    }

    private List<string> BuildEnvironment(string command, CniRuntimeRequest? request)
    {
        var environment = new List<string>(_baseEnvironment.Count + s_cniVariables.Length);
        environment.AddRange(_baseEnvironment);
        bool version = command == "VERSION";
        environment.Add("CNI_COMMAND=" + command);
        environment.Add("CNI_CONTAINERID=" + request?.ContainerId);
        // Plugins built on old skel versions insist on these even for VERSION; libcni passes the same placeholders.
        environment.Add("CNI_NETNS=" + (version ? "dummy" : request?.NetNs));
        environment.Add("CNI_IFNAME=" + (version ? "dummy" : request?.IfName));
        environment.Add("CNI_ARGS=" + (request is null ? string.Empty : string.Join(';', request.Args.Select(p => $"{p.Key}={p.Value}"))));
        environment.Add("CNI_PATH=" + _cniPath);
        TraceContextEnvironment.Append(environment, Activity.Current);
        return environment;
    }

    /// <summary>
    /// The config one plugin receives (libcni's buildOneConfig): the list's name and negotiated version injected,
    /// <c>prevResult</c> in that version, <c>runtimeConfig</c> = declared capabilities ∩ given capability arguments.
    /// Everything else — <c>capabilities</c> too, as libcni's InjectConf only adds keys — and the key order are kept.
    /// </summary>
    /// <remarks>
    /// Every spelling of an injected key is dropped and the injected keys come last. Written straight from the
    /// plugin's config and the result: no copy of the config tree, and the result is not printed, parsed and printed
    /// again. GC (<paramref name="validAttachments"/>) also injects <c>cni.dev/valid-attachments</c> and the spec's
    /// first name for it, <c>cni.dev/attachments</c>, as libcni does.
    /// </remarks>
    internal static byte[] BuildPluginConfig(PluginConfig plugin, string name, CniVersion version, CniResult? prevResult,
        JsonObject? capabilityArgs, IReadOnlyList<CniAttachmentId>? validAttachments = null)
    {
        IReadOnlyDictionary<string, bool> capabilities = plugin.Capabilities;
        CniResult? prev = prevResult is null || prevResult.CniVersion == version ? prevResult : prevResult.ConvertTo(version);
        bool runtimeConfig = false;
        if (capabilityArgs is not null)
        {
            foreach (var (capability, enabled) in capabilities)
            {
                runtimeConfig |= enabled && capabilityArgs.ContainsKey(capability);
            }
        }
        ArrayBufferWriter<byte> buffer = ConfigBuffer();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            foreach (var (key, value) in plugin.Json)
            {
                if (CniJsonKeys.Matches(key, "name") || CniJsonKeys.Matches(key, "cniVersion")
                    || (prev is not null && CniJsonKeys.Matches(key, "prevResult"))
                    || (runtimeConfig && CniJsonKeys.Matches(key, "runtimeConfig"))
                    || (validAttachments is not null && key is ValidAttachmentsKey or AttachmentsKey))
                {
                    continue;
                }
                w.WritePropertyName(key);
                WriteValue(w, value);
            }
            w.WriteString("name", name);
            w.WriteString("cniVersion", version.ToString());
            if (prev is not null)
            {
                w.WritePropertyName("prevResult");
                prev.WriteTo(w);
            }
            if (runtimeConfig)
            {
                w.WriteStartObject("runtimeConfig");
                foreach (var (capability, enabled) in capabilities)
                {
                    if (enabled && capabilityArgs!.TryGetPropertyValue(capability, out JsonNode? value))
                    {
                        w.WritePropertyName(capability);
                        WriteValue(w, value);
                    }
                }
                w.WriteEndObject();
            }
            if (validAttachments is not null)
            {
                WriteAttachments(w, ValidAttachmentsKey, validAttachments);
                WriteAttachments(w, AttachmentsKey, validAttachments);
            }
            w.WriteEndObject();
        }
        return TakeBytes(buffer);
    }

    private const string ValidAttachmentsKey = "cni.dev/valid-attachments";
    private const string AttachmentsKey = "cni.dev/attachments";

    private static void WriteAttachments(Utf8JsonWriter writer, string key, IReadOnlyList<CniAttachmentId> attachments)
    {
        writer.WriteStartArray(key);
        foreach (CniAttachmentId a in attachments)
        {
            writer.WriteStartObject();
            writer.WriteString("containerID", a.ContainerId);
            writer.WriteString("ifname", a.IfName);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonNode? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            value.WriteTo(writer);
        }
    }

    // Reused per thread: a config written into a fresh buffer grew it two or three times, each growth a copy.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_configBuffer;

    private static byte[] ToUtf8(JsonNode node)
    {
        ArrayBufferWriter<byte> buffer = ConfigBuffer();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            node.WriteTo(writer);
        }
        return TakeBytes(buffer);
    }

    private static ArrayBufferWriter<byte> ConfigBuffer()
    {
        ArrayBufferWriter<byte> buffer = t_configBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        return buffer;
    }

    private static byte[] TakeBytes(ArrayBufferWriter<byte> buffer)
    {
        byte[] bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1024 * 1024)
        {
            t_configBuffer = null; // not a huge buffer kept for the thread's lifetime
        }
        return bytes;
    }

    private static string AttachmentKey(NetworkConfigList network, CniRuntimeRequest request) =>
        $"{network.Name}\0{request.ContainerId}\0{request.IfName}";

    private static void ValidateRequest(CniRuntimeRequest request, bool requireNetNs)
    {
        if (!NetworkConfigList.IsValidName(request.ContainerId))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                $"CNI_CONTAINERID '{request.ContainerId}' must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$");
        }
        if (CniEnvironment.ValidateInterfaceName(request.IfName) is string reason)
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"CNI_IFNAME {reason}");
        }
        if (requireNetNs && string.IsNullOrEmpty(request.NetNs))
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, "CNI_NETNS is missing");
        }
        if (requireNetNs)
        {
            RequireNetworkNamespace(request.NetNs!);
        }
    }

    // Before any plugin runs, so that a wrong path is the runtime's code 4 and not each plugin's own failure (the
    // reference bridge answers 999 "failed to Statfs").
    private static void RequireNetworkNamespace(string path)
    {
        try
        {
            using NetworkNamespace opened = NetworkNamespace.Open(path);
        }
        catch (FileNotFoundException)
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"CNI_NETNS {path} does not exist");
        }
        catch (IOException e)
        {
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables, $"CNI_NETNS {path}: {e.Message}", null, e);
        }
    }

    // A plugin that was never found did not fail: its "not found in CNI_PATH" message stands alone.
    private static CniException InPlugin(CniException e, string pluginType, string command) =>
        e.InnerException is FileNotFoundException ? e
        : new(e.Code, $"plugin {pluginType} failed ({command}): {e.Message}", e.Details, e);

    private static IEnumerable<KeyValuePair<string, string>> ProcessEnvironment()
    {
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string k && entry.Value is string v)
            {
                yield return new(k, v);
            }
        }
    }
}
