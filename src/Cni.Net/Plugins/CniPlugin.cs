using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Cni.Net.Spec;

namespace Cni.Net.Plugins;

/// <summary>
/// The base of a plugin whose configuration is a record: the host reads stdin into <typeparamref name="TConfig"/>
/// before any handler runs, with the rules a Go plugin's <c>json.Unmarshal</c> follows (case-insensitive keys, the
/// last duplicate wins, <c>null</c> leaves the default, unknown keys ignored, strict numbers) and one error policy:
/// malformed JSON is code 6, a value of the wrong type, a missing required key or a value <see cref="Validate"/>
/// refuses is code 7 with the key path in the message.
/// </summary>
/// <typeparam name="TConfig">The configuration record. Mark it <see cref="CniConfigAttribute"/> (and <c>partial</c>) and
/// pass the reader the package's generator writes for it, <c>MyConfig.ReadCniConfig</c>: nothing is built at run time.
/// A source-generated <c>JsonSerializerContext</c> (camel-case naming, <c>GenerationMode = Metadata</c>) also works,
/// at the cost of the serializer's run-time metadata; there a member whose default is not zero needs a <c>set</c>
/// accessor, as for a missing <c>init</c>-only member the serializer's constructor call passes zero.</typeparam>
/// <example>
/// <code>
/// [CniConfig]
/// internal sealed partial record MyConfig
/// {
///     public string Bridge { get; init; } = "cni0";
///     public int Mtu { get; init; }
/// }
///
/// internal sealed class MyPlugin() : CniPlugin&lt;MyConfig&gt;(MyConfig.ReadCniConfig)
/// {
///     protected override ValueTask&lt;CniResult&gt; AddAsync(CniPluginRequest&lt;MyConfig&gt; request, CancellationToken ct) =>
///         ValueTask.FromResult(request.PrevResult ?? new CniResult());
///     …
/// }
/// </code>
/// </example>
public abstract class CniPlugin<TConfig> : ICniPlugin
    where TConfig : class
{
    private readonly Func<JsonSerializerContext>? _context;
    private readonly Func<JsonObject, TConfig>? _read;
    private JsonTypeInfo<TConfig>? _configType;

    /// <summary>Creates the plugin.</summary>
    /// <param name="context">Returns the source-generated context that declares <typeparamref name="TConfig"/>
    /// (<c>() =&gt; MyJsonContext.Default</c>). Called when a configuration is first read, not here: VERSION never
    /// needs it. The host reads with the context's contract (names, naming policy, converters) under options of its
    /// own, whose encoder does not build the Unicode tables the default one needs for escaping property names.</param>
    protected CniPlugin(Func<JsonSerializerContext> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
    }

    /// <summary>Creates the plugin with a reader written at build time: the fastest start for an exec'd plugin.</summary>
    /// <param name="read">The <c>ReadCniConfig</c> method that <see cref="CniConfigAttribute"/> generates on
    /// <typeparamref name="TConfig"/> (<c>MyConfig.ReadCniConfig</c>). It reads with the same rules as a
    /// <see cref="JsonSerializerContext"/> does here, and builds no serializer metadata at run time.</param>
    protected CniPlugin(Func<JsonObject, TConfig> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _read = read;
    }

    /// <inheritdoc/>
    public virtual IReadOnlyList<CniVersion> SupportedVersions => CniVersion.Supported;

    /// <summary>ADD: set up the attachment and return its result (the host converts it to the config's version).</summary>
    protected abstract ValueTask<CniResult> AddAsync(CniPluginRequest<TConfig> request, CancellationToken cancellationToken);

    /// <summary>DEL: remove the attachment; must succeed when things are already gone or the netns is missing.</summary>
    protected abstract ValueTask DelAsync(CniPluginRequest<TConfig> request, CancellationToken cancellationToken);

    /// <summary>CHECK: throw when the attachment is not as <see cref="CniPluginRequest.PrevResult"/> says.</summary>
    protected abstract ValueTask CheckAsync(CniPluginRequest<TConfig> request, CancellationToken cancellationToken);

    /// <summary>STATUS: throw code 50/51 when not ready. Default: ready.</summary>
    protected virtual ValueTask StatusAsync(CniPluginRequest<TConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>GC: release what belongs to attachments not in <see cref="CniPluginRequest.ValidAttachments"/>. Default: nothing.</summary>
    protected virtual ValueTask GCAsync(CniPluginRequest<TConfig> request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Checks what the types alone cannot (ranges, combinations, names), before any handler runs. Throw
    /// <see cref="CniException.InvalidConfig(string, string)"/> naming the key. Default: nothing to check.
    /// </summary>
    /// <param name="config">The configuration as read.</param>
    /// <param name="request">The invocation (its command, for checks that apply only to some).</param>
    protected virtual void Validate(TConfig config, CniPluginRequest request)
    {
    }

    /// <summary>
    /// ADD only, asked before the configuration is read into <typeparamref name="TConfig"/> and only when it names an
    /// <c>ipam.type</c> whose plugin is exec'd: whether to start that IPAM plugin now, so that its process (milliseconds
    /// of start-up) runs while the configuration is read and validated. The handler's <see cref="CniIpam.AddAsync"/>
    /// then returns that run. If reading fails, or the handler never asks for the run, the run is still collected and
    /// its allocation released before the error is reported. Default: <see langword="false"/>.
    /// </summary>
    /// <param name="request">The invocation; only its raw <see cref="CniPluginRequest.Config"/> has been read.</param>
    /// <returns><see langword="true"/> when the handler would start IPAM anyway; say <see langword="false"/> when it
    /// might not (an interface name already taken, say), as the run cannot be taken back without releasing.</returns>
    protected virtual bool StartsIpamBeforeRead(CniPluginRequest request) => false;

    /// <summary>Reads and validates the configuration of <paramref name="request"/>.</summary>
    /// <exception cref="CniException">Code 7 naming the key that does not fit.</exception>
    protected CniPluginRequest<TConfig> Read(CniPluginRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request is CniPluginRequest<TConfig> typed)
        {
            return typed;
        }
        TConfig config = _read is not null ? _read(request.Config.Json) : request.Config.As(_configType ??= ConfigType());
        Validate(config, request);
        return new CniPluginRequest<TConfig>(request, config);
    }

    private JsonTypeInfo<TConfig> ConfigType()
    {
        // The serializer asks reflection for each type's JsonDerivedTypeAttribute[]; naming that array type here makes
        // NativeAOT compile it, where it would otherwise be built at run time on every plugin start.
        GC.KeepAlive(Array.Empty<JsonDerivedTypeAttribute>());
        JsonSerializerContext context = _context!() ?? throw new InvalidOperationException($"{GetType().Name}: the context factory returned null.");
        var options = new JsonSerializerOptions(context.Options) { Encoder = CniJsonEncoder.Instance };
        return options.TryGetTypeInfo(typeof(TConfig), out JsonTypeInfo? info) && info is JsonTypeInfo<TConfig> typed
            ? typed
            : throw new InvalidOperationException(
                $"{GetType().Name}: {context.GetType().Name} does not declare {typeof(TConfig).Name}; add [JsonSerializable(typeof({typeof(TConfig).Name}))] to it.");
    }

    ValueTask<CniResult> ICniPlugin.AddAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request is not CniPluginRequest<TConfig> && request.Config.Ipam is not null && StartsIpamBeforeRead(request) &&
            CniIpam.TryStartEarly(request, cancellationToken)
            ? AddWithEarlyIpamAsync(request, cancellationToken)
            : AddAsync(Read(request), cancellationToken);
    }

    private async ValueTask<CniResult> AddWithEarlyIpamAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        CniResult result;
        try
        {
            result = await AddAsync(Read(request), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CollectUnclaimedIpamAsync(request).ConfigureAwait(false);
            throw;
        }
        if (await CollectUnclaimedIpamAsync(request).ConfigureAwait(false))
        {
            // The allocation is in no result: failing the ADD has the host release it.
            throw new InvalidOperationException($"{GetType().Name} started IPAM before reading its configuration but never asked for its result.");
        }
        return result;
    }

    // Awaits an early IPAM run the handler did not take, so the plugin is reaped and an allocation recorded for release.
    private static async ValueTask<bool> CollectUnclaimedIpamAsync(CniPluginRequest request)
    {
        if (request.EarlyIpamAdd is not { } unclaimed)
        {
            return false;
        }
        request.EarlyIpamAdd = null;
        try
        {
            await unclaimed.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the ADD's own error is the one reported; an IPAM failure allocated nothing
        catch
#pragma warning restore CA1031
        {
        }
        return true;
    }

    ValueTask ICniPlugin.DelAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
        DelAsync(Read(request), cancellationToken);

    ValueTask ICniPlugin.CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
        CheckAsync(Read(request), cancellationToken);

    ValueTask ICniPlugin.StatusAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
        StatusAsync(Read(request), cancellationToken);

    ValueTask ICniPlugin.GCAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
        GCAsync(Read(request), cancellationToken);
}
