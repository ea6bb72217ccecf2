using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Net.Samples.Bandwidth;

/// <summary>
/// The reference plugin's own keys, all in bits (rates per second), and <c>runtimeConfig.bandwidth</c>, which replaces
/// them as a whole when present.
/// </summary>
/// <remarks>
/// Read in one <see cref="Utf8JsonReader"/> pass over stdin: a JsonSerializerContext would build its metadata at every
/// plugin start, which costs more than the parse. Keys are matched exactly and numbers are strict (non-negative
/// integers), as the serializer read them.
/// </remarks>
internal sealed class BandwidthNetConf
{
    public ulong IngressRate { get; set; }

    public ulong IngressBurst { get; set; }

    public ulong EgressRate { get; set; }

    public ulong EgressBurst { get; set; }

    public List<string?>? ShapedSubnets { get; set; }

    public List<string?>? UnshapedSubnets { get; set; }

    /// <summary><c>runtimeConfig.bandwidth</c>, when the runtime passed it.</summary>
    public BandwidthNetConf? RuntimeBandwidth { get; set; }

    /// <exception cref="CniException">A key has the wrong type (code 7, naming the key).</exception>
    public static BandwidthNetConf Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            reader.Read();
            return ReadObject(ref reader, "$", topLevel: true)
                ?? throw Invalid("$", "an object");
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodingFailure, $"bandwidth config: {e.Message}", null, e);
        }
    }

    /// <summary>An object of the four rate keys; at the top level also the subnet lists and runtimeConfig.</summary>
    private static BandwidthNetConf? ReadObject(ref Utf8JsonReader reader, string path, bool topLevel)
    {
        if (reader.TokenType == JsonTokenType.Null && !topLevel)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid(path, "an object");
        }
        var conf = new BandwidthNetConf();
        string prefix = topLevel ? "" : path + ".";
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (CniJsonKeys.Matches(ref reader, "ingressRate"u8))
            {
                conf.IngressRate = ReadBits(ref reader, prefix + "ingressRate");
            }
            else if (CniJsonKeys.Matches(ref reader, "ingressBurst"u8))
            {
                conf.IngressBurst = ReadBits(ref reader, prefix + "ingressBurst");
            }
            else if (CniJsonKeys.Matches(ref reader, "egressRate"u8))
            {
                conf.EgressRate = ReadBits(ref reader, prefix + "egressRate");
            }
            else if (CniJsonKeys.Matches(ref reader, "egressBurst"u8))
            {
                conf.EgressBurst = ReadBits(ref reader, prefix + "egressBurst");
            }
            else if (topLevel && CniJsonKeys.Matches(ref reader, "shapedSubnets"u8))
            {
                conf.ShapedSubnets = ReadStrings(ref reader, "shapedSubnets");
            }
            else if (topLevel && CniJsonKeys.Matches(ref reader, "unshapedSubnets"u8))
            {
                conf.UnshapedSubnets = ReadStrings(ref reader, "unshapedSubnets");
            }
            else if (topLevel && CniJsonKeys.Matches(ref reader, "runtimeConfig"u8))
            {
                conf.RuntimeBandwidth = ReadRuntimeConfig(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return conf;
    }

    private static BandwidthNetConf? ReadRuntimeConfig(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid("runtimeConfig", "an object");
        }
        BandwidthNetConf? bandwidth = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (CniJsonKeys.Matches(ref reader, "bandwidth"u8))
            {
                reader.Read();
                bandwidth = ReadObject(ref reader, "runtimeConfig.bandwidth", topLevel: false);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return bandwidth;
    }

    private static ulong ReadBits(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out ulong value)
            ? value
            : throw Invalid(path, "a non-negative integer");
    }

    private static List<string?>? ReadStrings(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid(path, "an array of strings");
        }
        var list = new List<string?>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(reader.TokenType switch
            {
                JsonTokenType.Null => null,
                JsonTokenType.String => reader.GetString(),
                _ => throw Invalid(path, "an array of strings"),
            });
        }
        return list;
    }

    private static CniException Invalid(string path, string expected) =>
        new(CniErrorCode.InvalidNetworkConfig, $"bandwidth config: {path}: expected {expected}");
}
