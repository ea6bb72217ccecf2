using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Tests.Plugins.Sdk;

/// <summary>
/// The readers <c>[CniConfig]</c> writes at build time against <see cref="PluginConfig.As{T}"/> (the serializer's run-time
/// metadata), on every sample plugin's configuration and on a type with every supported member kind: for each key path
/// of the type, each spelling of the key and each kind of JSON value put there, both give the same record (compared as
/// the serializer writes it) or the same code and message.
/// </summary>
public sealed partial class GeneratedConfigReaderTests
{
    private static readonly string[] Values =
    [
        "\"s\"", "\"10.1.0.0/16\"", "\"\"", "0", "42", "-1", "1.5", "1e3", "2147483648", "4294967296", "-9223372036854775809",
        "18446744073709551616", "true", "false", "null", "{}", "[]", "[null]", "[1]", "[\"a\",\"b\"]", "[[{}]]", "{\"a\":1}", "{\"a\":null}",
    ];

    public static TheoryData<string> Types() => [.. Readers.Keys.Order(StringComparer.Ordinal)];

    private static readonly Dictionary<string, (Func<JsonObject, object> Generated, JsonTypeInfo Metadata)> Readers = new(StringComparer.Ordinal)
    {
        ["bridge"] = (Cni.Samples.Bridge.BridgeConfig.ReadCniConfig, ReaderTestJsonContext.Default.BridgeConfig),
        ["host-local"] = (Cni.Net.Samples.HostLocal.HostLocalNetConf.ReadCniConfig, ReaderTestJsonContext.Default.HostLocalNetConf),
        ["portmap"] = (Cni.Net.Samples.PortMap.PortMapNetConf.ReadCniConfig, ReaderTestJsonContext.Default.PortMapNetConf),
        ["bandwidth"] = (Cni.Net.Samples.Bandwidth.BandwidthNetConf.ReadCniConfig, ReaderTestJsonContext.Default.BandwidthNetConf),
        ["dhcp"] = (Cni.Net.Samples.Dhcp.DhcpConfig.ReadCniConfig, ReaderTestJsonContext.Default.DhcpConfig),
        ["host-device"] = (Cni.Net.Samples.HostDevice.HostDeviceConfig.ReadCniConfig, ReaderTestJsonContext.Default.HostDeviceConfig),
        ["tap"] = (Cni.Net.Samples.Tap.TapConfig.ReadCniConfig, ReaderTestJsonContext.Default.TapConfig),
        ["ptp"] = (Cni.Net.Samples.Ptp.PtpConfig.ReadCniConfig, ReaderTestJsonContext.Default.PtpConfig),
        ["macvlan"] = (Cni.Net.Samples.Macvlan.MacvlanConfig.ReadCniConfig, ReaderTestJsonContext.Default.MacvlanConfig),
        ["static"] = (Cni.Net.Samples.Static.StaticConfig.ReadCniConfig, ReaderTestJsonContext.Default.StaticConfig),
        ["tuning"] = (Cni.Net.Samples.Tuning.TuningConfig.ReadCniConfig, ReaderTestJsonContext.Default.TuningConfig),
        ["firewall"] = (Cni.Net.Samples.Firewall.FirewallConfig.ReadCniConfig, ReaderTestJsonContext.Default.FirewallConfig),
        ["sbr"] = (Cni.Net.Samples.Sbr.SbrConfig.ReadCniConfig, ReaderTestJsonContext.Default.SbrConfig),
        ["every-kind"] = (EveryKind.ReadCniConfig, ReaderTestJsonContext.Default.EveryKind),
    };

    [Theory]
    [MemberData(nameof(Types))]
    public void EveryKeyPath_EveryValueKind_ReadsAsTheSerializerDoes(string type)
    {
        (Func<JsonObject, object> generated, JsonTypeInfo metadata) = Readers[type];
        var mismatches = new List<string>();
        int cases = 0;
        foreach (List<object> path in KeyPaths(metadata, depth: 0))
        {
            foreach (string value in Values)
            {
                foreach (Func<string, string> spelling in Spellings)
                {
                    string json = Build(path, value, spelling);
                    cases++;
                    string ours = Outcome(() => generated(PluginConfig.Parse(System.Text.Encoding.UTF8.GetBytes(json)).Json), metadata);
                    string theirs = Outcome(() => ReadWithMetadata(PluginConfig.Parse(System.Text.Encoding.UTF8.GetBytes(json)), metadata), metadata);
                    if (type == "static")
                    {
                        // The serializer's known loss: an absent init-only member gets null, not its initializer
                        // (StaticAddress.Address = ""); the generated reader keeps it (InitOnlyDefaults_Survive).
                        theirs = theirs.Replace("\"address\":null", "\"address\":\"\"", StringComparison.Ordinal);
                    }
                    if (path is ["ports"] && value == "[null]" && ours.Contains("\"ports\":[0]", StringComparison.Ordinal))
                    {
                        continue; // a null item of a list of numbers: Go's zero value, where the serializer refuses
                    }
                    if (theirs.Contains("The JSON value could not be converted", StringComparison.Ordinal) &&
                        ours.StartsWith(theirs[..(theirs.IndexOf(':', StringComparison.Ordinal) + 1)] + " expected ", StringComparison.Ordinal))
                    {
                        continue; // the same code and key path, with what was expected and found rather than a .NET type name
                    }
                    if (ours != theirs)
                    {
                        int at = ours.AsSpan().CommonPrefixLength(theirs);
                        int from = Math.Max(0, at - 40);
                        mismatches.Add($"{json}\n  generated:  …{ours[from..Math.Min(ours.Length, at + 60)]}\n  serializer: …{theirs[from..Math.Min(theirs.Length, at + 60)]}");
                    }
                }
            }
        }
        Assert.True(cases > 50, $"only {cases} cases for {type}");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases} differ:\n{string.Join("\n", mismatches.Take(12))}");
    }

    [Fact]
    public void EveryKind_ReadsEachMemberKind()
    {
        EveryKind c = EveryKind.ReadCniConfig(PluginConfig.Parse("""
            {"cniVersion":"1.0.0","name":"n","type":"t","Count":-5,"small":255,"big":18446744073709551615,"ratio":0.25,"money":1.10,
             "addresses":["a",null,"b"],"ports":[1,null,3],"labels":{"x":"1","y":null},"nested":[{"name":"inner","count":2}],
             "raw":{"any":[1,2]},"tree":{"k":true},"list":[1,"x"],"any":"str","base":"from-base","required":"here","SETTABLE":"s"}
            """u8).Json);
        Assert.Equal(-5, c.Count);
        Assert.Equal((byte)255, c.Small);
        Assert.Equal(ulong.MaxValue, c.Big);
        Assert.Equal(0.25, c.Ratio);
        Assert.Equal(1.10m, c.Money);
        Assert.Equal<string?>(["a", null, "b"], c.Addresses!.AsEnumerable());
        Assert.Equal([1, 0, 3], c.Ports!); // a null item is the zero value, as Go fills a slice
        Assert.Equal(new Dictionary<string, string?> { ["x"] = "1", ["y"] = null }, c.Labels);
        Assert.Equal("inner", Assert.Single(c.Nested!).Name);
        Assert.Equal("""{"any":[1,2]}""", c.Raw!.Value.GetRawText());
        Assert.Equal("""{"k":true}""", c.Tree!.ToJsonString());
        Assert.Equal("""[1,"x"]""", c.List!.ToJsonString());
        Assert.Equal("\"str\"", c.Any!.ToJsonString());
        Assert.Equal("from-base", c.Base);
        Assert.Equal("here", c.Required);
        Assert.Equal("s", c.Settable);
        Assert.Equal(7, c.SetDefaulted); // absent: the initializer's value survives
        Assert.Null(c.Ignored);
    }

    [Fact]
    public void InitOnlyDefaults_Survive()
    {
        // Where the serializer's constructor call passes zero for an absent init-only member, losing its initializer.
        InitDefaults absent = InitDefaults.ReadCniConfig(PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"n","type":"t","name2":null}"""u8).Json);
        Assert.Equal(("kept", 7), (absent.Defaulted, absent.Number));
        Assert.Equal("n", absent.Name);
        InitDefaults given = InitDefaults.ReadCniConfig(PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"n","type":"t","defaulted":"x","NUMBER":8}"""u8).Json);
        Assert.Equal(("x", 8), (given.Defaulted, given.Number));
    }

    [Fact]
    public void EveryKind_MissingRequiredKey_IsCode7NamingIt()
    {
        var e = Assert.Throws<CniException>(() => EveryKind.ReadCniConfig(PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"n","type":"t","required":null}"""u8).Json));
        Assert.Equal((CniErrorCode.InvalidNetworkConfig, "required: required key is missing"), (e.Code, e.Message));
        e = Assert.Throws<CniException>(() => EveryKind.ReadCniConfig(PluginConfig.Parse("""{"cniVersion":"1.0.0","name":"n","type":"t","required":"r","nested":[{"count":1}]}"""u8).Json));
        Assert.Equal("nested[0].name: required key is missing", e.Message);
    }

    [Fact]
    public void GeneratedReader_OfASample_NamesTheKeyPathOfAWrongValue()
    {
        var e = Assert.Throws<CniException>(() => Cni.Net.Samples.HostLocal.HostLocalNetConf.ReadCniConfig(PluginConfig.Parse("""
            {"cniVersion":"1.0.0","name":"n","type":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"10.0.0.0/24"},{"subnet":42}]]}}
            """u8).Json));
        Assert.Equal((CniErrorCode.InvalidNetworkConfig, "ipam.ranges[0][1].subnet: expected a string, found a number"), (e.Code, e.Message));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void GeneratedKeys_AreTheSerializersNames(string type)
    {
        // Unnamed members are spelled as JsonNamingPolicy.CamelCase spells them (EveryKind has "IPMasq", "IPs",
        // "URLValue", "X509Cert", "ID"), named ones as [JsonPropertyName] says: the exact key a reader tries first.
        (_, JsonTypeInfo metadata) = Readers[type];
        var keys = (string[])metadata.Type.GetField("__CniReadObject0Keys", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
        Assert.Equal(Settable(metadata).Select(p => p.Name).Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
    }

    private static object ReadWithMetadata(PluginConfig config, JsonTypeInfo metadata) =>
        typeof(PluginConfig).GetMethod(nameof(PluginConfig.As))!.MakeGenericMethod(metadata.Type).Invoke(config, [metadata]) is { } read
            ? read
            : throw new InvalidOperationException("null");

    private static string Outcome(Func<object> read, JsonTypeInfo metadata)
    {
        try
        {
            return "ok " + JsonSerializer.Serialize(read(), metadata);
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is CniException c)
        {
            return $"error {(int)c.Code} {c.Message}";
        }
        catch (CniException c)
        {
            return $"error {(int)c.Code} {c.Message}";
        }
    }

    private static readonly Func<string, string>[] Spellings =
    [
        static k => k,
        static k => k.ToUpperInvariant(),
        // Go's folding: the long s and the Kelvin sign name 's' and 'k'.
        static k => k.Replace('s', 'ſ').Replace('k', '\u212A'),
    ];

    // The members a configuration fills: the metadata also lists read-only and ignored ones, for writing.
    private static IEnumerable<JsonPropertyInfo> Settable(JsonTypeInfo type) =>
        type.Properties.Where(p => p.Set is not null && !(p.AttributeProvider?.IsDefined(typeof(JsonIgnoreAttribute), false) == true && p.ShouldSerialize is null && false));

    /// <summary>Every key path of the type's members, through nested objects and list items, to a few levels.</summary>
    private static IEnumerable<List<object>> KeyPaths(JsonTypeInfo type, int depth)
    {
        foreach (JsonPropertyInfo property in Settable(type))
        {
            yield return [property.Name];
            if (depth >= 3)
            {
                continue;
            }
            JsonTypeInfo inner = type.Options.GetTypeInfo(property.PropertyType);
            var prefix = new List<object> { property.Name };
            while (inner.Kind == JsonTypeInfoKind.Enumerable)
            {
                prefix.Add(0);
                inner = type.Options.GetTypeInfo(inner.ElementType!);
            }
            if (inner.Kind == JsonTypeInfoKind.Object)
            {
                foreach (List<object> rest in KeyPaths(inner, depth + 1))
                {
                    yield return [.. prefix, .. rest];
                }
            }
        }
    }

    /// <summary>A configuration with <paramref name="value"/> at <paramref name="path"/>, the path's keys spelled by <paramref name="spelling"/>.</summary>
    private static string Build(List<object> path, string value, Func<string, string> spelling)
    {
        JsonNode? inner = JsonNode.Parse(value);
        for (int i = path.Count - 1; i >= 0; i--)
        {
            inner = path[i] is int ? new JsonArray(inner) : new JsonObject { [spelling((string)path[i])] = inner };
        }
        JsonObject root = (JsonObject)inner!;
        var config = new JsonObject { ["cniVersion"] = "1.0.0", ["name"] = "n", ["type"] = "t", ["required"] = "r" };
        foreach (KeyValuePair<string, JsonNode?> pair in root.ToList())
        {
            root.Remove(pair.Key);
            config[pair.Key] = pair.Value;
        }
        return config.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}

/// <summary>A base type whose members a derived <c>[CniConfig]</c> type reads too.</summary>
internal class EveryKindBase
{
    public string? Base { get; init; }
}

/// <summary>One member of each kind the generator reads.</summary>
[CniConfig]
internal sealed partial class EveryKind : EveryKindBase
{
    public int Count { get; init; }

    public byte Small { get; init; }

    public ulong? Big { get; init; }

    public double Ratio { get; init; }

    public decimal Money { get; init; }

    public short? Signed { get; init; }

    public bool IPMasq { get; init; }

    public IReadOnlyList<string>? IPs { get; init; }

    public string? URLValue { get; init; }

    public string? X509Cert { get; init; }

    public long ID { get; init; }

    public string?[]? Addresses { get; init; }

    public List<int>? Ports { get; init; }

    public IReadOnlyDictionary<string, string?>? Labels { get; init; }

    public IReadOnlyList<EveryKindItem>? Nested { get; init; }

    public JsonElement? Raw { get; init; }

    public JsonObject? Tree { get; init; }

    public JsonArray? List { get; init; }

    public JsonNode? Any { get; init; }

    public required string Required { get; init; }

    public string? Settable { get; set; }

    public int SetDefaulted { get; set; } = 7;

    [JsonIgnore]
    public string? Ignored { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? WrittenWhenSet { get; init; }

    public string ReadOnly => Settable + " (not read)";
}

/// <summary>Init-only members with initializers (kept when their key is absent).</summary>
[CniConfig]
internal sealed partial record InitDefaults
{
    public string? Name { get; init; }

    public string Defaulted { get; init; } = "kept";

    public int Number { get; init; } = 7;
}

internal sealed record EveryKindItem
{
    [JsonRequired]
    public string Name { get; set; } = "";

    public int Count { get; init; }
}

[JsonSerializable(typeof(EveryKind))]
[JsonSerializable(typeof(Cni.Samples.Bridge.BridgeConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.HostLocal.HostLocalNetConf))]
[JsonSerializable(typeof(Cni.Net.Samples.PortMap.PortMapNetConf))]
[JsonSerializable(typeof(Cni.Net.Samples.Bandwidth.BandwidthNetConf))]
[JsonSerializable(typeof(Cni.Net.Samples.Dhcp.DhcpConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.HostDevice.HostDeviceConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Tap.TapConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Ptp.PtpConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Macvlan.MacvlanConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Static.StaticConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Tuning.TuningConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Firewall.FirewallConfig))]
[JsonSerializable(typeof(Cni.Net.Samples.Sbr.SbrConfig))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class ReaderTestJsonContext : JsonSerializerContext;
