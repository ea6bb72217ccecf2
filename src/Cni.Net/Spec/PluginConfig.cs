using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Cni.Net.Spec;

/// <summary>
/// One plugin's configuration object (an element of a list's <c>plugins</c>, or what a plugin reads on stdin).
/// It is backed by a <see cref="JsonObject"/>, so key order and unknown keys survive a round trip; the properties
/// read and write that object. A plugin reads its own typed view with <see cref="As{T}(JsonTypeInfo{T})"/>.
/// </summary>
public sealed class PluginConfig
{
    private PluginConfig(JsonObject json)
    {
        Json = json;
    }

    /// <summary>The JSON object itself (mutations are visible through the properties).</summary>
    public JsonObject Json { get; }

    /// <summary>The plugin's executable name (<c>type</c>).</summary>
    public string Type => CniJson.TryGetString(Json, "type", out string? type) ? type : string.Empty;

    /// <summary>The network name (<c>name</c>), which the runtime injects from the list.</summary>
    public string? Name
    {
        get => CniJson.TryGetString(Json, "name", out string? name) ? name : null;
        set => CniJsonKeys.SetProperty(Json, "name", value);
    }

    /// <summary>The <c>cniVersion</c>; null when absent (which the spec reads as 0.1.0).</summary>
    public CniVersion? CniVersion
    {
        get => CniJson.TryGetString(Json, "cniVersion", out string? text) && Spec.CniVersion.TryParse(text, out CniVersion v)
            ? v
            : null;
        set => CniJsonKeys.SetProperty(Json, "cniVersion", value?.ToString());
    }

    /// <summary>The capabilities the plugin declares (<c>capabilities</c>): name → enabled.</summary>
    public IReadOnlyDictionary<string, bool> Capabilities
    {
        get
        {
            var capabilities = new Dictionary<string, bool>(StringComparer.Ordinal);
            if (CniJsonKeys.TryGetProperty(Json, "capabilities", out JsonNode? node) && node is JsonObject obj)
            {
                foreach (KeyValuePair<string, JsonNode?> pair in obj)
                {
                    if (CniJson.TryGetBoolean(pair.Value, out bool enabled))
                    {
                        capabilities[pair.Key] = enabled;
                    }
                }
            }
            return capabilities;
        }
    }

    /// <summary>The IPAM section (<c>ipam</c>), if any; its <c>type</c> names the IPAM plugin.</summary>
    public JsonObject? Ipam => CniJsonKeys.GetProperty(Json, "ipam") as JsonObject;

    /// <summary>The <c>args</c> section (runtime-provided, for example <c>args.cni</c>), if any.</summary>
    public JsonObject? Args => CniJsonKeys.GetProperty(Json, "args") as JsonObject;

    /// <summary>The conventional <c>args.cni</c> section (<c>ips</c>, <c>labels</c>), or null when absent.</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidNetworkConfig"/>: it has the wrong shape.</exception>
    public CniConventionArgs? ConventionArgs => (Args is { } args ? CniJsonKeys.GetProperty(args, "cni") : null) switch
    {
        null => null,
        JsonObject cni => CniConventionArgs.FromJson(cni),
        JsonNode other => throw new CniException(CniErrorCode.InvalidNetworkConfig,
            $"args.cni: expected an object, found {CniJson.Describe(other)}"),
    };

    /// <summary>The <c>runtimeConfig</c> section: capability arguments the runtime injected.</summary>
    public JsonObject? RuntimeConfigJson
    {
        get => CniJsonKeys.GetProperty(Json, "runtimeConfig") as JsonObject;
        set => CniJsonKeys.SetProperty(Json, "runtimeConfig", value);
    }

    /// <summary>The typed <c>runtimeConfig</c> (port mappings, bandwidth, IP ranges, …), or null when absent.</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidNetworkConfig"/>: a capability has the wrong shape.</exception>
    public CniRuntimeConfig? RuntimeConfig => RuntimeConfigJson is { } json ? CniRuntimeConfig.FromJson(json) : null;

    /// <summary>The DNS section (<c>dns</c>), or null when absent.</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.DecodingFailure"/>: it has the wrong shape.</exception>
    public CniDns? Dns
    {
        get
        {
            if (CniJsonKeys.GetProperty(Json, "dns") is not JsonObject dns)
            {
                return null;
            }
            byte[] bytes = CniJson.ToUtf8Bytes(dns);
            try
            {
                var reader = new Utf8JsonReader(bytes, CniJson.ReaderOptions);
                reader.Read();
                return CniResult.ReadDns(ref reader);
            }
            catch (JsonException e)
            {
                throw CniJson.Malformed("dns", e);
            }
        }
    }

    /// <summary>The previous plugin's result (<c>prevResult</c>), or null; parsed in its own version, else the config's.</summary>
    /// <exception cref="CniException">The result is malformed (see <see cref="CniResult.Parse"/>).</exception>
    public CniResult? PrevResult
    {
        get
        {
            if (CniJsonKeys.GetProperty(Json, "prevResult") is not JsonObject prev)
            {
                return null;
            }
            byte[] bytes = CniJson.ToUtf8Bytes(prev);
            return CniResult.Parse(bytes, this.CniVersion ?? Spec.CniVersion.V0_1_0);
        }
        set => CniJsonKeys.SetProperty(Json, "prevResult", value?.ToJsonNode());
    }

    /// <summary>
    /// Parses and validates a plugin configuration: a JSON object whose <c>type</c> is a bare file name, whose
    /// <c>name</c>, <c>cniVersion</c> are strings and whose <c>capabilities</c>, <c>ipam</c>, <c>dns</c>, <c>args</c>,
    /// <c>runtimeConfig</c> and <c>prevResult</c> are objects.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.DecodingFailure"/> (malformed JSON),
    /// <see cref="CniErrorCode.InvalidNetworkConfig"/> (a field is missing or wrong; the message names it) or
    /// <see cref="CniErrorCode.IncompatibleVersion"/> (a <c>cniVersion</c> that is not a version).</exception>
    public static PluginConfig Parse(ReadOnlySpan<byte> json) => FromJson(CniJson.ParseObject(json, "plugin config"), "");

    /// <summary>Validates a plugin object taken from a list (<paramref name="path"/> prefixes field names in errors).</summary>
    internal static PluginConfig FromJson(JsonObject json, string path)
    {
        if (!CniJsonKeys.TryGetProperty(json, "type", out JsonNode? typeNode) || typeNode is null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{path}type: required field is missing");
        }
        if (!CniJson.TryGetString(typeNode, out string? type))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{path}type: expected a string, found {CniJson.Describe(typeNode)}");
        }
        if (type.Length == 0 || type is "." or ".." || type.AsSpan().IndexOfAny('/', '\\', '\0') >= 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"{path}type: '{CniJson.Truncate(type)}' is not a plugin file name (it must not be empty or contain a path separator)");
        }
        CniJson.GetOptionalString(json, "name", path + "name", CniErrorCode.InvalidNetworkConfig);
        string? version = CniJson.GetOptionalString(json, "cniVersion", path + "cniVersion", CniErrorCode.InvalidNetworkConfig);
        if (!string.IsNullOrEmpty(version))
        {
            CniJson.ParseVersion(version, path + "cniVersion");
        }
        foreach (string key in (ReadOnlySpan<string>)["capabilities", "ipam", "dns", "args", "runtimeConfig", "prevResult"])
        {
            if (CniJsonKeys.TryGetProperty(json, key, out JsonNode? node) && node is not null and not JsonObject)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"{path}{key}: expected an object, found {CniJson.Describe(node)}");
            }
        }
        if (CniJsonKeys.GetProperty(json, "capabilities") is JsonObject caps)
        {
            foreach (KeyValuePair<string, JsonNode?> pair in caps)
            {
                if (!CniJson.TryGetBoolean(pair.Value, out bool _))
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig,
                        $"{path}capabilities.{pair.Key}: expected a boolean, found {CniJson.Describe(pair.Value)}");
                }
            }
        }
        if (CniJsonKeys.GetProperty(json, "ipam") is JsonObject ipam && CniJsonKeys.TryGetProperty(ipam, "type", out JsonNode? ipamType) &&
            !CniJson.TryGetString(ipamType, out string? _))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"{path}ipam.type: expected a string, found {CniJson.Describe(ipamType)}");
        }
        return new PluginConfig(json);
    }

    /// <summary>
    /// Reads the plugin's typed view of this configuration through a source-generated type, as Go's
    /// <c>encoding/json</c> fills a plugin's struct: keys match case-insensitively (see <see cref="CniJsonKeys"/>), the
    /// last of duplicate keys wins, <c>null</c> leaves a member at its default, unknown keys are ignored (they stay in
    /// <see cref="Json"/>), and numbers are strict. Plugins built on <c>CniPlugin&lt;TConfig&gt;</c> get this for free.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidNetworkConfig"/> naming the key path of the
    /// value that does not fit <typeparamref name="T"/> (for example <c>ipam.ranges[0][0].subnet: expected a string, found 42</c>).</exception>
    public T As<T>(JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        return CniConfigReader.Read(Json, typeInfo);
    }

    /// <summary>The configuration as compact UTF-8 JSON (keys in their original order).</summary>
    public byte[] ToUtf8Bytes()
    {
        return CniJson.ToUtf8Bytes(Json);
    }

    /// <summary>A deep copy (for example to inject runtime keys without touching the original).</summary>
    public PluginConfig Clone() => new((JsonObject)Json.DeepClone());

    /// <inheritdoc/>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(ToUtf8Bytes());
}
