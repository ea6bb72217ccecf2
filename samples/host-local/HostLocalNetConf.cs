using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostLocal;

// The reference plugin's view of the network config: IPAM plugins get the whole config of the calling plugin,
// of which host-local reads these keys. Every other key is ignored.
//
// Read in one Utf8JsonReader pass: a JsonSerializerContext builds its metadata (property tables, attribute lookups,
// encoded names) at every plugin start, which costs more than the parse itself. Keys are matched exactly; null leaves
// a key unset; a value of the wrong type is a decoding failure (code 6) naming where it is, as with the serializer.

internal sealed class HostLocalNetConf
{
    public string? Name { get; set; }

    public string? CniVersion { get; set; }

    public HostLocalIpamConf? Ipam { get; set; }

    public HostLocalRuntimeConf? RuntimeConfig { get; set; }

    public HostLocalArgsConf? Args { get; set; }

    /// <exception cref="CniException">Not JSON, or a key of the wrong type (code 6).</exception>
    public static HostLocalNetConf Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                throw new CniException(CniErrorCode.DecodingFailure, "the network config is null");
            }
            ConfReader.Expect(ref reader, JsonTokenType.StartObject, "$", "an object");
            var conf = new HostLocalNetConf();
            while (ConfReader.NextProperty(ref reader, out string key))
            {
                switch (key)
                {
                    case "name":
                        conf.Name = ConfReader.String(ref reader, "$.name");
                        break;
                    case "cniversion":
                        conf.CniVersion = ConfReader.String(ref reader, "$.cniVersion");
                        break;
                    case "ipam":
                        conf.Ipam = HostLocalIpamConf.Read(ref reader);
                        break;
                    case "runtimeconfig":
                        conf.RuntimeConfig = HostLocalRuntimeConf.Read(ref reader);
                        break;
                    case "args":
                        conf.Args = HostLocalArgsConf.Read(ref reader);
                        break;
                    default:
                        ConfReader.Skip(ref reader);
                        break;
                }
            }
            return conf;
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodingFailure, $"cannot decode the network config: {e.Message}", e.Path, e);
        }
    }
}

// The legacy single range (subnet, rangeStart, rangeEnd, gateway) sits at the top of "ipam", so the ipam section is
// a range itself; it is prepended to "ranges" as a set of its own.
internal sealed class HostLocalIpamConf : RangeConf
{
    public string? Type { get; set; }

    public List<List<RangeConf>>? Ranges { get; set; }

    public List<JsonElement>? Routes { get; set; }

    public string? DataDir { get; set; }

    public string? ResolvConf { get; set; }

    internal static HostLocalIpamConf? Read(ref Utf8JsonReader reader)
    {
        if (!ConfReader.StartObject(ref reader, "$.ipam"))
        {
            return null;
        }
        var ipam = new HostLocalIpamConf();
        while (ConfReader.NextProperty(ref reader, out string key))
        {
            if (!ipam.TryReadRangeKey(ref reader, key, "$.ipam"))
            {
                switch (key)
                {
                    case "type":
                        ipam.Type = ConfReader.String(ref reader, "$.ipam.type");
                        break;
                    case "ranges":
                        ipam.Ranges = ReadRangeSets(ref reader, "$.ipam.ranges");
                        break;
                    case "routes":
                        ipam.Routes = ConfReader.Elements(ref reader, "$.ipam.routes");
                        break;
                    case "datadir":
                        ipam.DataDir = ConfReader.String(ref reader, "$.ipam.dataDir");
                        break;
                    case "resolvconf":
                        ipam.ResolvConf = ConfReader.String(ref reader, "$.ipam.resolvConf");
                        break;
                    default:
                        ConfReader.Skip(ref reader);
                        break;
                }
            }
        }
        return ipam;
    }

    /// <summary>A list of range sets, each a list of ranges (<c>ranges</c>, <c>runtimeConfig.ipRanges</c>).</summary>
    internal static List<List<RangeConf>>? ReadRangeSets(ref Utf8JsonReader reader, string path)
    {
        if (!ConfReader.StartArray(ref reader, path))
        {
            return null;
        }
        var sets = new List<List<RangeConf>>();
        while (ConfReader.NextElement(ref reader))
        {
            string setPath = $"{path}[{sets.Count}]";
            if (reader.TokenType == JsonTokenType.Null)
            {
                sets.Add(null!); // reported by the range-set check, as the serializer's null was
                continue;
            }
            ConfReader.Expect(ref reader, JsonTokenType.StartArray, setPath, "an array of ranges");
            var set = new List<RangeConf>();
            while (ConfReader.NextElement(ref reader))
            {
                set.Add(RangeConf.ReadCurrent(ref reader, $"{setPath}[{set.Count}]")!); // null is reported later
            }
            sets.Add(set);
        }
        return sets;
    }
}

internal class RangeConf
{
    public string? Subnet { get; set; }

    public string? RangeStart { get; set; }

    public string? RangeEnd { get; set; }

    public string? Gateway { get; set; }

    /// <summary>A range object at the reader's current token (null stays null; ToRangeSet reports it).</summary>
    internal static RangeConf? ReadCurrent(ref Utf8JsonReader reader, string path)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        ConfReader.Expect(ref reader, JsonTokenType.StartObject, path, "an object");
        var range = new RangeConf();
        while (ConfReader.NextProperty(ref reader, out string key))
        {
            if (!range.TryReadRangeKey(ref reader, key, path))
            {
                ConfReader.Skip(ref reader);
            }
        }
        return range;
    }

    internal bool TryReadRangeKey(ref Utf8JsonReader reader, string key, string path)
    {
        switch (key)
        {
            case "subnet":
                Subnet = ConfReader.String(ref reader, path + ".subnet");
                return true;
            case "rangestart":
                RangeStart = ConfReader.String(ref reader, path + ".rangeStart");
                return true;
            case "rangeend":
                RangeEnd = ConfReader.String(ref reader, path + ".rangeEnd");
                return true;
            case "gateway":
                Gateway = ConfReader.String(ref reader, path + ".gateway");
                return true;
            default:
                return false;
        }
    }
}

internal sealed class HostLocalRuntimeConf
{
    // The ipRanges capability: range sets that come before the configured ones.
    public List<List<RangeConf>>? IPRanges { get; set; }

    // The ips capability: "10.1.2.3/24" or "10.1.2.3".
    public List<string>? IPs { get; set; }

    internal static HostLocalRuntimeConf? Read(ref Utf8JsonReader reader)
    {
        if (!ConfReader.StartObject(ref reader, "$.runtimeConfig"))
        {
            return null;
        }
        var runtime = new HostLocalRuntimeConf();
        while (ConfReader.NextProperty(ref reader, out string key))
        {
            switch (key)
            {
                case "ipranges":
                    runtime.IPRanges = HostLocalIpamConf.ReadRangeSets(ref reader, "$.runtimeConfig.ipRanges");
                    break;
                case "ips":
                    runtime.IPs = ConfReader.Strings(ref reader, "$.runtimeConfig.ips");
                    break;
                default:
                    ConfReader.Skip(ref reader);
                    break;
            }
        }
        return runtime;
    }
}

internal sealed class HostLocalArgsConf
{
    public HostLocalCniArgsConf? Cni { get; set; }

    internal static HostLocalArgsConf? Read(ref Utf8JsonReader reader)
    {
        if (!ConfReader.StartObject(ref reader, "$.args"))
        {
            return null;
        }
        var args = new HostLocalArgsConf();
        while (ConfReader.NextProperty(ref reader, out string key))
        {
            if (key == "cni")
            {
                args.Cni = HostLocalCniArgsConf.Read(ref reader);
            }
            else
            {
                ConfReader.Skip(ref reader);
            }
        }
        return args;
    }
}

internal sealed class HostLocalCniArgsConf
{
    public List<string>? IPs { get; set; }

    internal static HostLocalCniArgsConf? Read(ref Utf8JsonReader reader)
    {
        if (!ConfReader.StartObject(ref reader, "$.args.cni"))
        {
            return null;
        }
        var cni = new HostLocalCniArgsConf();
        while (ConfReader.NextProperty(ref reader, out string key))
        {
            if (key == "ips")
            {
                cni.IPs = ConfReader.Strings(ref reader, "$.args.cni.ips");
            }
            else
            {
                ConfReader.Skip(ref reader);
            }
        }
        return cni;
    }
}

/// <summary>The few reading steps the config classes share; errors are decoding failures naming the JSON path.</summary>
internal static class ConfReader
{
    /// <summary>Reads the next token: false for null, true for an object, an error otherwise.</summary>
    public static bool StartObject(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        Expect(ref reader, JsonTokenType.StartObject, path, "an object");
        return true;
    }

    /// <summary>Reads the next token: false for null, true for an array, an error otherwise.</summary>
    public static bool StartArray(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        Expect(ref reader, JsonTokenType.StartArray, path, "an array");
        return true;
    }

    public static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string path, string what)
    {
        if (reader.TokenType != type)
        {
            throw Wrong(path, what);
        }
    }

    /// <summary>Moves to the next property of the object being read; false at its end.</summary>
    public static bool NextProperty(ref Utf8JsonReader reader, out string key)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.PropertyName)
        {
            // Keys are matched as Go matches them: callers switch on the folded (lower-case) field name.
            key = CniJsonKeys.Fold(reader.GetString()!);
            return true;
        }
        key = "";
        return false;
    }

    /// <summary>Moves to the next element of the array being read; false at its end.</summary>
    public static bool NextElement(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType != JsonTokenType.EndArray;
    }

    public static string? String(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => throw Wrong(path, "a string"),
        };
    }

    public static List<string>? Strings(ref Utf8JsonReader reader, string path)
    {
        if (!StartArray(ref reader, path))
        {
            return null;
        }
        var list = new List<string>();
        while (NextElement(ref reader))
        {
            list.Add(reader.TokenType switch
            {
                JsonTokenType.Null => null!, // reported where the address is parsed, as before
                JsonTokenType.String => reader.GetString()!,
                _ => throw Wrong($"{path}[{list.Count}]", "a string"),
            });
        }
        return list;
    }

    /// <summary>An array kept as JSON elements (routes, interpreted later).</summary>
    public static List<JsonElement>? Elements(ref Utf8JsonReader reader, string path)
    {
        if (!StartArray(ref reader, path))
        {
            return null;
        }
        var list = new List<JsonElement>();
        while (NextElement(ref reader))
        {
            list.Add(JsonElement.ParseValue(ref reader));
        }
        return list;
    }

    /// <summary>Skips the value of the property just read.</summary>
    public static void Skip(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    private static CniException Wrong(string path, string what) =>
        new(CniErrorCode.DecodingFailure, $"cannot decode the network config: {path}: expected {what}", path);
}
