using System.Text.Json;
using Cni.Net.Spec;

namespace Cni.Samples.Bridge;

/// <summary>The reference bridge plugin's configuration keys (unknown keys are ignored).</summary>
/// <remarks>
/// Read with one <see cref="Utf8JsonReader"/> pass over stdin rather than a JsonSerializerContext: building the
/// serializer's metadata for a type (property tables, attribute lookups, encoded names) costs more at start-up than
/// the whole parse, and a plugin process starts for every command. Keys are matched exactly, numbers are strict,
/// <c>null</c> leaves an optional key unset and is refused where a value is required — as the serializer did.
/// </remarks>
internal sealed class BridgeConfig
{
    public string? Bridge { get; set; }

    public bool IsGateway { get; set; }

    public bool IsDefaultGateway { get; set; }

    public bool ForceAddress { get; set; }

    public bool IPMasq { get; set; }

    public int Mtu { get; set; }

    public bool HairpinMode { get; set; }

    public bool PromiscMode { get; set; }

    public int Vlan { get; set; }

    public bool PreserveDefaultVlan { get; set; } = true;

    public bool EnableDad { get; set; }

    public bool MacSpoofCheck { get; set; }

    /// <summary><c>args.cni.mac</c>.</summary>
    public string? ArgsMac { get; set; }

    /// <summary><c>runtimeConfig.mac</c>.</summary>
    public string? RuntimeMac { get; set; }

    public string BridgeName => string.IsNullOrEmpty(Bridge) ? "cni0" : Bridge;

    /// <summary>Reads the keys of the plugin's config (the bytes of stdin).</summary>
    /// <exception cref="CniException">A key has the wrong type (code 7, naming the key).</exception>
    public static BridgeConfig Parse(ReadOnlySpan<byte> json)
    {
        var config = new BridgeConfig();
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid("$", "an object");
            }
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (CniJsonKeys.Matches(ref reader, "bridge"u8))
                {
                    config.Bridge = ReadString(ref reader, "bridge");
                }
                else if (CniJsonKeys.Matches(ref reader, "isGateway"u8))
                {
                    config.IsGateway = ReadBool(ref reader, "isGateway");
                }
                else if (CniJsonKeys.Matches(ref reader, "isDefaultGateway"u8))
                {
                    config.IsDefaultGateway = ReadBool(ref reader, "isDefaultGateway");
                }
                else if (CniJsonKeys.Matches(ref reader, "forceAddress"u8))
                {
                    config.ForceAddress = ReadBool(ref reader, "forceAddress");
                }
                else if (CniJsonKeys.Matches(ref reader, "ipMasq"u8))
                {
                    config.IPMasq = ReadBool(ref reader, "ipMasq");
                }
                else if (CniJsonKeys.Matches(ref reader, "mtu"u8))
                {
                    config.Mtu = ReadInt(ref reader, "mtu");
                }
                else if (CniJsonKeys.Matches(ref reader, "hairpinMode"u8))
                {
                    config.HairpinMode = ReadBool(ref reader, "hairpinMode");
                }
                else if (CniJsonKeys.Matches(ref reader, "promiscMode"u8))
                {
                    config.PromiscMode = ReadBool(ref reader, "promiscMode");
                }
                else if (CniJsonKeys.Matches(ref reader, "vlan"u8))
                {
                    config.Vlan = ReadInt(ref reader, "vlan");
                }
                else if (CniJsonKeys.Matches(ref reader, "preserveDefaultVlan"u8))
                {
                    config.PreserveDefaultVlan = ReadBool(ref reader, "preserveDefaultVlan");
                }
                else if (CniJsonKeys.Matches(ref reader, "enabledad"u8))
                {
                    config.EnableDad = ReadBool(ref reader, "enabledad");
                }
                else if (CniJsonKeys.Matches(ref reader, "macspoofchk"u8))
                {
                    config.MacSpoofCheck = ReadBool(ref reader, "macspoofchk");
                }
                else if (CniJsonKeys.Matches(ref reader, "args"u8))
                {
                    config.ArgsMac = ReadArgsMac(ref reader);
                }
                else if (CniJsonKeys.Matches(ref reader, "runtimeConfig"u8))
                {
                    config.RuntimeMac = ReadMac(ref reader, "runtimeConfig");
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException e)
        {
            throw new CniException(CniErrorCode.DecodingFailure, $"bridge config: {e.Message}", null, e);
        }
        return config;
    }

    /// <summary><c>args</c>: only <c>args.cni.mac</c> is read.</summary>
    private static string? ReadArgsMac(ref Utf8JsonReader reader)
    {
        string? mac = null;
        if (!StartObjectOrNull(ref reader, "args"))
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (CniJsonKeys.Matches(ref reader, "cni"u8))
            {
                mac = ReadMac(ref reader, "args.cni");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return mac;
    }

    /// <summary>An object whose <c>mac</c> key is read (<c>runtimeConfig</c>, <c>args.cni</c>).</summary>
    private static string? ReadMac(ref Utf8JsonReader reader, string path)
    {
        string? mac = null;
        if (!StartObjectOrNull(ref reader, path))
        {
            return null;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (CniJsonKeys.Matches(ref reader, "mac"u8))
            {
                mac = ReadString(ref reader, path + ".mac");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return mac;
    }

    private static bool StartObjectOrNull(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => false,
            JsonTokenType.StartObject => true,
            _ => throw Invalid(path, "an object"),
        };
    }

    private static string? ReadString(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.Null => null,
            JsonTokenType.String => reader.GetString(),
            _ => throw Invalid(path, "a string"),
        };
    }

    private static bool ReadBool(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw Invalid(path, "true or false"),
        };
    }

    private static int ReadInt(ref Utf8JsonReader reader, string path)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int value)
            ? value
            : throw Invalid(path, "a 32-bit integer");
    }

    private static CniException Invalid(string path, string expected) =>
        new(CniErrorCode.InvalidNetworkConfig, $"bridge config: {path}: expected {expected}");
}
