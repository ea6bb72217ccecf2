using System.Text.Json;

namespace Cni.Net.Spec;

/// <summary>
/// The error object a plugin prints on failure: <c>{"cniVersion","code","msg","details"}</c>.
/// Reading also accepts the Go plugins' form without <c>cniVersion</c> (and their catch-all code 999).
/// </summary>
public sealed class CniError
{
    /// <summary>Creates an error.</summary>
    public CniError(uint code, string msg, string? details = null, string? cniVersion = null)
    {
        ArgumentNullException.ThrowIfNull(msg);
        Code = code;
        Msg = msg;
        Details = details;
        CniVersion = cniVersion;
    }

    /// <summary>The <c>cniVersion</c> field, absent in the Go plugins' errors.</summary>
    public string? CniVersion { get; }

    /// <summary>The error code (see <see cref="CniErrorCode"/>; 100 and above are plugin-specific).</summary>
    public uint Code { get; }

    /// <summary>A short message.</summary>
    public string Msg { get; }

    /// <summary>Longer details, if any.</summary>
    public string? Details { get; }

    /// <summary>Parses an error object.</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.DecodingFailure"/>: not an error object.</exception>
    public static CniError Parse(ReadOnlySpan<byte> json)
    {
        CniJson.EnsureUtf8(json, "error");
        try
        {
            var reader = new Utf8JsonReader(json, CniJson.ReaderOptions);
            CniJson.ReadStartObject(ref reader, "error");
            Span<char> name = stackalloc char[CniJson.NameBufferLength];
            string? version = null;
            uint? code = null;
            string? msg = null;
            string? details = null;
            while (CniJson.ReadProperty(ref reader, name, out int nameLength))
            {
                switch (name[..nameLength])
                {
                    case "cniversion":
                        version = CniJson.ReadNullableString(ref reader, "cniVersion");
                        break;
                    case "code":
                        code = CniJson.ReadUInt32(ref reader, "code");
                        break;
                    case "msg":
                        msg = CniJson.ReadNullableString(ref reader, "msg");
                        break;
                    case "details":
                        details = CniJson.ReadNullableString(ref reader, "details");
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            CniJson.ReadEnd(ref reader);
            if (code is null)
            {
                throw CniJson.Missing("code");
            }
            return new CniError(code.Value, msg ?? string.Empty, details, version);
        }
        catch (JsonException e)
        {
            throw CniJson.Malformed("error", e);
        }
        catch (InvalidOperationException e)
        {
            throw CniJson.Untranscodable("error", e);
        }
    }

    /// <summary>Writes the error object.</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        if (CniVersion is not null)
        {
            writer.WriteString("cniVersion"u8, CniVersion);
        }
        writer.WriteNumber("code"u8, Code);
        writer.WriteString("msg"u8, Msg);
        if (Details is not null)
        {
            writer.WriteString("details"u8, Details);
        }
        writer.WriteEndObject();
    }

    /// <summary>The error as indented UTF-8 JSON, as a plugin prints it.</summary>
    public byte[] ToUtf8Bytes()
    {
        Utf8JsonWriter writer = CniJson.RentWriter(indented: true);
        WriteTo(writer);
        return CniJson.ToArrayAndReset(writer);
    }

    /// <inheritdoc/>
    public override string ToString() => Details is null ? $"CNI error {Code}: {Msg}" : $"CNI error {Code}: {Msg}: {Details}";
}
