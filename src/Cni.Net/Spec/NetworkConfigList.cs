using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cni.Net.Spec;

/// <summary>
/// A network configuration (a <c>.conflist</c>): the network's name, versions, flags and its ordered plugins.
/// Backed by the parsed <see cref="JsonObject"/> and the source <see cref="Bytes"/> (which libcni caches).
/// </summary>
/// <remarks>
/// A parsed list may be read from several threads at once (its JSON tree is fully built by <see cref="Parse"/>);
/// to inject per-call keys, <see cref="PluginConfig.Clone"/> a plugin and change the clone.
/// </remarks>
public sealed class NetworkConfigList
{
    private readonly List<PluginConfig> _plugins;

    private NetworkConfigList(JsonObject json, ReadOnlyMemory<byte> bytes, string name, CniVersion version,
        List<CniVersion> versions, List<PluginConfig> plugins)
    {
        Json = json;
        Bytes = bytes;
        Name = name;
        CniVersion = version;
        CniVersions = versions;
        _plugins = plugins;
        DisableCheck = CniJson.GetLenientBool(json, "disableCheck");
        DisableGC = CniJson.GetLenientBool(json, "disableGC");
        LoadOnlyInlinedPlugins = CniJson.GetLenientBool(json, "loadOnlyInlinedPlugins");
    }

    /// <summary>The network name (<c>name</c>), unique on the host.</summary>
    public string Name { get; }

    /// <summary>The <c>cniVersion</c> (0.1.0 when absent).</summary>
    public CniVersion CniVersion { get; }

    /// <summary>The <c>cniVersions</c> the configuration also supports (1.1.0; empty when absent).</summary>
    public IReadOnlyList<CniVersion> CniVersions { get; }

    /// <summary><c>disableCheck</c>: the runtime must not call CHECK.</summary>
    public bool DisableCheck { get; }

    /// <summary><c>disableGC</c>: the runtime must not call GC.</summary>
    public bool DisableGC { get; }

    /// <summary><c>loadOnlyInlinedPlugins</c>: ignore plugin drop-ins from <c>&lt;confdir&gt;/&lt;name&gt;/*.conf</c>.</summary>
    public bool LoadOnlyInlinedPlugins { get; }

    /// <summary>The plugins in execution order (inline ones, then drop-ins the loader appended).</summary>
    public IReadOnlyList<PluginConfig> Plugins => _plugins;

    /// <summary>The source bytes, as libcni caches them with a result.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The parsed JSON object.</summary>
    public JsonObject Json { get; }

    /// <summary>
    /// Parses and validates a configuration list: <c>name</c> is required and matches
    /// <c>^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$</c>; <c>cniVersion</c>/<c>cniVersions</c> are versions; the three flags are
    /// booleans or "true"/"false" strings (as libcni accepts); <c>plugins</c> is a non-empty array of valid plugin
    /// objects, or absent when drop-ins may supply them.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.DecodingFailure"/> (malformed JSON),
    /// <see cref="CniErrorCode.InvalidNetworkConfig"/> (a field is missing or wrong; the message names it) or
    /// <see cref="CniErrorCode.IncompatibleVersion"/> (a version that does not parse).</exception>
    public static NetworkConfigList Parse(ReadOnlySpan<byte> json)
    {
        JsonObject obj = CniJson.ParseObject(json, "network config list");
        return FromJson(obj, json.ToArray());
    }

    private static NetworkConfigList FromJson(JsonObject obj, ReadOnlyMemory<byte> bytes)
    {
        string name = CniJson.GetOptionalString(obj, "name", "name", CniErrorCode.InvalidNetworkConfig)
            ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "name: required field is missing");
        ValidateNetworkName(name);

        string? versionText = CniJson.GetOptionalString(obj, "cniVersion", "cniVersion", CniErrorCode.InvalidNetworkConfig);
        CniVersion version = string.IsNullOrEmpty(versionText) ? CniVersion.V0_1_0 : CniJson.ParseVersion(versionText, "cniVersion");

        var versions = new List<CniVersion>();
        if (CniJsonKeys.TryGetProperty(obj, "cniVersions", out JsonNode? versionsNode) && versionsNode is not null)
        {
            if (versionsNode is not JsonArray array)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"cniVersions: expected an array of strings, found {CniJson.Describe(versionsNode)}");
            }
            for (int i = 0; i < array.Count; i++)
            {
                if (!CniJson.TryGetString(array[i], out string? text))
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig,
                        $"cniVersions[{i}]: expected a string, found {CniJson.Describe(array[i])}");
                }
                versions.Add(CniJson.ParseVersion(text, $"cniVersions[{i}]"));
            }
        }

        bool loadOnlyInlined = CniJson.GetLenientBool(obj, "loadOnlyInlinedPlugins");
        CniJson.GetLenientBool(obj, "disableCheck");
        CniJson.GetLenientBool(obj, "disableGC");

        var plugins = new List<PluginConfig>();
        if (!CniJsonKeys.TryGetProperty(obj, "plugins", out JsonNode? pluginsNode) || pluginsNode is null)
        {
            if (loadOnlyInlined)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    "plugins: required when loadOnlyInlinedPlugins is true");
            }
        }
        else
        {
            if (pluginsNode is not JsonArray array)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"plugins: expected an array, found {CniJson.Describe(pluginsNode)}");
            }
            if (array.Count == 0)
            {
                throw new CniException(CniErrorCode.InvalidNetworkConfig, "plugins: the list is empty");
            }
            for (int i = 0; i < array.Count; i++)
            {
                string path = $"plugins[{i}].";
                if (array[i] is not JsonObject pluginObj)
                {
                    throw new CniException(CniErrorCode.InvalidNetworkConfig,
                        $"plugins[{i}]: expected an object, found {CniJson.Describe(array[i])}");
                }
                plugins.Add(PluginConfig.FromJson(pluginObj, path));
            }
        }
        return new NetworkConfigList(obj, bytes, name, version, versions, plugins);
    }

    /// <summary>
    /// Lifts a single-plugin configuration (a <c>.conf</c>) into a list as libcni does: the list's bytes are
    /// <c>{"cniVersion","name","plugins":[conf]}</c>.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidNetworkConfig"/>: the configuration has no valid <c>name</c>.</exception>
    public static NetworkConfigList FromPluginConfig(PluginConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var list = new JsonObject();
        if (CniJsonKeys.GetProperty(config.Json, "cniVersion") is JsonNode v)
        {
            list["cniVersion"] = v.DeepClone();
        }
        list["name"] = CniJsonKeys.GetProperty(config.Json, "name")?.DeepClone();
        list["plugins"] = new JsonArray(config.Json.DeepClone());
        if (list["name"] is null)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "name: required field is missing");
        }
        byte[] bytes = CniJson.ToUtf8Bytes(list);
        return FromJson(list, bytes);
    }

    /// <summary>A copy of this list with drop-in plugins appended (the source bytes stay those of the list file).</summary>
    internal NetworkConfigList WithAppendedPlugins(IEnumerable<PluginConfig> plugins) =>
        new(Json, Bytes, Name, CniVersion, (List<CniVersion>)CniVersions, [.. _plugins, .. plugins]);

    /// <summary>
    /// The version to run the list with: the highest of <see cref="CniVersion"/> ∪ <see cref="CniVersions"/> that
    /// Cni.Net supports.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.IncompatibleVersion"/>: none is supported.</exception>
    public CniVersion NegotiateVersion()
    {
        CniVersion? best = CniVersion.IsSupported ? CniVersion : null;
        foreach (CniVersion v in CniVersions)
        {
            if (v.IsSupported && (best is null || v > best.Value))
            {
                best = v;
            }
        }
        return best ?? throw new CniException(CniErrorCode.IncompatibleVersion,
            $"network '{Name}': no supported version among {string.Join(", ", new[] { CniVersion }.Concat(CniVersions))} " +
            $"(supported: {string.Join(", ", CniVersion.Supported)})");
    }

    /// <summary>
    /// Checks a network name against the spec's pattern <c>^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$</c>.
    /// </summary>
    internal static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.IsEmpty || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }
        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '.' and not '-')
            {
                return false;
            }
        }
        return true;
    }

    private static void ValidateNetworkName(string name)
    {
        if (!IsValidName(name))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig,
                $"name: '{CniJson.Truncate(name)}' is not a valid network name (it must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$)");
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({CniVersion}, {_plugins.Count} plugins)";
}
