using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cni.Net.Spec;

/// <summary>
/// Shared pieces of the hand-written Utf8JsonReader parsers: strict token checks whose errors name the field,
/// so that only <see cref="CniException"/> leaves the public parsing API.
/// </summary>
internal static class CniJson
{
    /// <summary>Nesting deeper than this is rejected (DecodingFailure) before it can exhaust the stack.</summary>
    public const int MaxDepth = 64;

    public static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxDepth };

    public static readonly JsonWriterOptions WriterOptions = new()
    {
        // The wire is UTF-8 JSON read by Go: escape only what JSON requires (UnsafeRelaxedJsonEscaping, built lazily).
        Encoder = CniJsonEncoder.Instance,
        SkipValidation = true,
    };

    public static readonly JsonWriterOptions IndentedWriterOptions = new()
    {
        Encoder = CniJsonEncoder.Instance,
        Indented = true,
        IndentSize = 4,
        SkipValidation = true,
    };

    /// <summary>Caps user text quoted in error messages.</summary>
    public static string Truncate(string value) => value.Length <= 64 ? value : string.Concat(value.AsSpan(0, 64), "…");

    public static void ReadStartObject(ref Utf8JsonReader reader, string field)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw WrongType(ref reader, field, "an object");
        }
    }

    /// <summary>Expects the reader on a value token that must be an object (or null when <paramref name="allowNull"/>).</summary>
    public static bool ExpectObject(ref Utf8JsonReader reader, string field, bool allowNull = true)
    {
        if (reader.TokenType == JsonTokenType.Null && allowNull)
        {
            return false;
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw WrongType(ref reader, field, "an object");
        }
        return true;
    }

    /// <summary>Expects the reader on a value token that must be an array (null means absent).</summary>
    public static bool ExpectArray(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw WrongType(ref reader, field, "an array");
        }
        return true;
    }

    /// <summary>Room for property names: every name the parsers know fits; longer ones are unknown keys anyway.</summary>
    public const int NameBufferLength = 32;

    /// <summary>
    /// Moves to the next property of the current object, with the reader on its value. The (unescaped) name is
    /// copied to <c>buffer[..length]</c> without allocating, folded as Go folds keys (so callers switch on lower-case
    /// field names, see <see cref="CniJsonKeys"/>); a name that does not fit gives length 0 (unknown).
    /// </summary>
    public static bool ReadProperty(ref Utf8JsonReader reader, scoped Span<char> buffer, out int length)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.EndObject)
        {
            length = 0;
            return false;
        }
        if (reader.ValueSpan.Length <= buffer.Length)
        {
            length = reader.CopyString(buffer);
        }
        else if (reader.ValueIsEscaped && reader.GetString() is { } name && name.Length <= buffer.Length)
        {
            name.CopyTo(buffer);
            length = name.Length;
        }
        else
        {
            length = 0;
        }
        CniJsonKeys.FoldInPlace(buffer[..length]);
        reader.Read();
        return true;
    }

    /// <summary>Moves to the next array element; false at the end of the array.</summary>
    public static bool ReadElement(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>Requires the end of input after the root value.</summary>
    public static void ReadEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new CniException(CniErrorCode.DecodingFailure,
                $"unexpected content after the JSON value at byte {reader.TokenStartIndex}");
        }
    }

    public static string? ReadNullableString(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.String)
        {
            throw WrongType(ref reader, field, "a string");
        }
        return reader.GetString();
    }

    public static string ReadString(ref Utf8JsonReader reader, string field) =>
        ReadNullableString(ref reader, field) ?? throw WrongType(ref reader, field, "a string");

    public static void ReadStringArray(ref Utf8JsonReader reader, IList<string> target, string field, string elementField)
    {
        target.Clear(); // a repeated key replaces the list, as in Go
        if (!ExpectArray(ref reader, field))
        {
            return;
        }
        while (ReadElement(ref reader))
        {
            target.Add(ReadString(ref reader, elementField));
        }
    }

    public static uint ReadUInt32(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(ref reader, field, "a number");
        }
        if (!reader.TryGetUInt32(out uint value))
        {
            throw OutOfRange(ref reader, field);
        }
        return value;
    }

    public static int? ReadNullableInt32(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw WrongType(ref reader, field, "a number");
        }
        if (!reader.TryGetInt32(out int value))
        {
            throw OutOfRange(ref reader, field);
        }
        return value;
    }

    /// <summary>Longest address text accepted (an IPv6 address with prefix is at most 43 characters).</summary>
    private const int MaxAddressText = 64;

    public static IPAddress? ReadNullableIPAddress(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }
        Span<char> text = stackalloc char[MaxAddressText];
        int length = CopyAddressText(ref reader, field, text);
        if (length == 0)
        {
            // Go marshals a nil net.IP as "" when omitempty is missing; treat it as absent.
            return null;
        }
        if (length < 0 || !CniIPNet.TryParseAddress(text[..length], out IPAddress? address))
        {
            throw Invalid(ref reader, field, $"'{Truncate(reader.GetString()!)}' is not an IP address");
        }
        return address;
    }

    public static CniIPNet ReadIPNet(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw WrongType(ref reader, field, "a string");
        }
        Span<char> text = stackalloc char[MaxAddressText];
        int length = CopyAddressText(ref reader, field, text);
        if (length < 0 || !CniIPNet.TryParse(text[..length], out CniIPNet value))
        {
            throw Invalid(ref reader, field, $"'{Truncate(reader.GetString()!)}' is not an address with a prefix length (CIDR)");
        }
        return value;
    }

    /// <summary>Copies a string token that holds an address into <paramref name="buffer"/>; -1 when too long.</summary>
    private static int CopyAddressText(ref Utf8JsonReader reader, string field, scoped Span<char> buffer)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw WrongType(ref reader, field, "a string");
        }
        return reader.ValueSpan.Length <= buffer.Length ? reader.CopyString(buffer) : -1;
    }

    public static CniException Missing(string field) =>
        new(CniErrorCode.DecodingFailure, $"{field}: required field is missing");

    public static CniException WrongType(ref Utf8JsonReader reader, string field, string expected) =>
        new(CniErrorCode.DecodingFailure,
            $"{field}: expected {expected}, found {Describe(reader.TokenType)} at byte {reader.TokenStartIndex}");

    public static CniException OutOfRange(ref Utf8JsonReader reader, string field) =>
        new(CniErrorCode.DecodingFailure, $"{field}: number out of range at byte {reader.TokenStartIndex}");

    public static CniException Invalid(ref Utf8JsonReader reader, string field, string reason) =>
        new(CniErrorCode.DecodingFailure, $"{field}: {reason} (at byte {reader.TokenStartIndex})");

    /// <summary>A string the reader cannot transcode (a lone surrogate escape such as "\\ud800"): System.Text.Json
    /// throws InvalidOperationException there, which must reach a runtime as a CNI decoding error, not a crash.</summary>
    public static CniException Untranscodable(string what, InvalidOperationException e) =>
        new(CniErrorCode.DecodingFailure, $"{what}: invalid JSON string: {FirstSentence(e.Message)}", null, e);

    /// <summary>Malformed JSON (truncated, bad syntax, too deep): the reader's position and reason.</summary>
    public static CniException Malformed(string what, JsonException e) =>
        new(CniErrorCode.DecodingFailure,
            string.Create(CultureInfo.InvariantCulture,
                $"{what}: invalid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}"),
            null, e);

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends advice and the position (reported separately) after the first sentence.
        int cut = message.IndexOf(". ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    public static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
        _ => "a value",
    };

    /// <summary>
    /// Rejects, in well-formed JSON, a key or string whose escapes do not make UTF-16 (a lone surrogate such as
    /// <c>"\ud800"</c>): the reader checks escapes only as text, and the tree keeps values unread, so such a string
    /// would throw InvalidOperationException wherever it is first read — a key, <c>type</c>, a plugin's typed config
    /// (found by fuzzing). Only a document with a surrogate escape at all is walked.
    /// </summary>
    private static void EnsureTranscodable(ReadOnlySpan<byte> json, string what)
    {
        if (!HasSurrogateEscape(json))
        {
            return;
        }
        var reader = new Utf8JsonReader(json, ReaderOptions);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.PropertyName or JsonTokenType.String && reader.ValueIsEscaped)
                {
                    _ = reader.GetString();
                }
            }
        }
        catch (InvalidOperationException e)
        {
            throw Untranscodable(what, e);
        }
    }

    private static bool HasSurrogateEscape(ReadOnlySpan<byte> json)
    {
        for (int i = json.IndexOf("\\u"u8); i >= 0 && i + 2 < json.Length; )
        {
            if ((json[i + 2] | 0x20) == (byte)'d')
            {
                return true;
            }
            int next = json[(i + 2)..].IndexOf("\\u"u8);
            i = next < 0 ? -1 : i + 2 + next;
        }
        return false;
    }

    /// <summary>
    /// Rejects invalid UTF-8 up front: the JSON readers validate structure but not string contents, which would
    /// otherwise fail later with InvalidOperationException when a string is read.
    /// </summary>
    public static void EnsureUtf8(ReadOnlySpan<byte> json, string what)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            int index = 0;
            while (index < json.Length &&
                   System.Text.Rune.DecodeFromUtf8(json[index..], out _, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                index += consumed;
            }
            throw new CniException(CniErrorCode.DecodingFailure, $"{what}: invalid UTF-8 at byte {index}");
        }
    }

    /// <summary>
    /// Parses a configuration document into a JsonObject, mapping every parser failure to DecodingFailure. Duplicate
    /// keys are read as Go reads them: the last one wins (and takes the last position, so that a later key of another
    /// spelling still wins over an earlier one; see <see cref="CniJsonKeys"/>).
    /// </summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> json, string what)
    {
        EnsureUtf8(json, what);
        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            reader.Read();
            reader.Skip();
            int end = (int)reader.BytesConsumed;
            ReadEnd(ref reader);
            root = ParseDocument(json[..end]);
        }
        catch (JsonException e)
        {
            throw Malformed(what, e);
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new CniException(CniErrorCode.DecodingFailure, $"{what}: expected a JSON object, found {Describe(root.ValueKind)}");
        }
        EnsureTranscodable(json, what);
        // Built eagerly: the tree is complete before a parsed list is shared between threads (parallel ADDs read
        // it; only clones are mutated).
        return (JsonObject)ToNode(root)!;
    }

    // Two pooled arrays of one size class returned in a row make the shared pool set up its per-core lists, whose
    // first use times the CPU-number lookup: 0.1–0.2 ms of every plugin process. JsonElement.ParseValue returns two
    // (the parser's stack, then the metadata it copies out); a document keeps its metadata rented, so only the stack
    // goes back — and the copy is at least 1 KiB (trailing spaces), so that the metadata starts in the size class
    // above the stack's and what it outgrows is not returned to the stack's class either. The document is never
    // disposed: the nodes built from it reference its elements, and its rented array is collected with it. Against
    // ParseValue this allocates about 0.5 KB more per parse of a 550-byte config (2.2 against 1.7 KB).
    private static JsonElement ParseDocument(ReadOnlySpan<byte> value)
    {
        byte[] copy = new byte[Math.Max(value.Length, 1024)];
        value.CopyTo(copy);
        copy.AsSpan(value.Length).Fill((byte)' ');
#pragma warning disable CA2000 // see above: the elements outlive any scope that could dispose the document
        JsonDocument document = JsonDocument.Parse(copy, DocumentOptions);
#pragma warning restore CA2000
        return document.RootElement;
    }

    private static JsonNode? ToNode(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    obj.Remove(property.Name);
                    obj.Add(property.Name, ToNode(property.Value));
                }
                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    array.Add(ToNode(item));
                }
                return array;
            case JsonValueKind.Null:
                return null;
            default:
                // Keeps the value's own text: numbers are written back exactly as they were read.
                return JsonValue.Create(element);
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static bool TryGetString(JsonObject obj, string key, [NotNullWhen(true)] out string? value)
    {
        return CniJsonKeys.TryGetString(obj, key, out value);
    }

    // JsonValue.TryGetValue<T> and GetValue<T> are generic virtual methods, which NativeAOT resolves at run time: the
    // first such call of a process starts the runtime's type loader, 0.05–0.1 ms of a plugin's start-up (perf). The
    // paths every plugin process takes read a value by its kind instead.

    /// <summary>The string <paramref name="node"/> holds, if it is a string.</summary>
    public static bool TryGetString(JsonNode? node, [NotNullWhen(true)] out string? value)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            value = v.ToString(); // for a string, the string itself (no writer, no quotes)
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>The boolean <paramref name="node"/> holds, if it is <c>true</c> or <c>false</c>.</summary>
    public static bool TryGetBoolean(JsonNode? node, out bool value)
    {
        JsonValueKind kind = node is JsonValue v ? v.GetValueKind() : JsonValueKind.Undefined;
        value = kind == JsonValueKind.True;
        return kind is JsonValueKind.True or JsonValueKind.False;
    }

    /// <summary>Reads an optional string property; the wrong type is an error naming the field.</summary>
    public static string? GetOptionalString(JsonObject obj, string key, string path, CniErrorCode code)
    {
        if (!CniJsonKeys.TryGetProperty(obj, key, out JsonNode? node) || node is null)
        {
            return null;
        }
        if (TryGetString(node, out string? s))
        {
            return s;
        }
        throw new CniException(code, $"{path}: expected a string, found {Describe(node)}");
    }

    /// <summary>A boolean as libcni reads disableCheck and friends: true/false, or the strings "true"/"false" in any case.</summary>
    public static bool GetLenientBool(JsonObject obj, string key)
    {
        if (!CniJsonKeys.TryGetProperty(obj, key, out JsonNode? node) || node is null)
        {
            return false;
        }
        if (node is JsonValue v)
        {
            if (TryGetBoolean(v, out bool b))
            {
                return b;
            }
            if (TryGetString(v, out string? s))
            {
                if (s.Equals("true", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
                if (s.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
                throw new CniException(CniErrorCode.InvalidNetworkConfig,
                    $"{key}: invalid value '{CniJson.Truncate(s)}' (expected true or false)");
            }
        }
        throw new CniException(CniErrorCode.InvalidNetworkConfig, $"{key}: expected a boolean, found {Describe(node)}");
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_indentedWriter;

    /// <summary>
    /// A per-thread writer over a reused buffer, so that serializing allocates only the returned array.
    /// Pair with <see cref="ToArrayAndReset"/>; not re-entrant (nothing written through it calls back here).
    /// </summary>
    public static Utf8JsonWriter RentWriter(bool indented)
    {
        ArrayBufferWriter<byte> buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        Utf8JsonWriter writer = indented
            ? t_indentedWriter ??= new Utf8JsonWriter(buffer, IndentedWriterOptions)
            : t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        return writer;
    }

    /// <summary>
    /// The JSON text of <paramref name="node"/> (a number's as written), in this thread's writer buffer: valid until
    /// the next <see cref="RentWriter"/> on the thread. For parsing on the spot without a copy.
    /// </summary>
    public static ReadOnlySpan<byte> WriteToThreadBuffer(JsonNode node)
    {
        Utf8JsonWriter writer = RentWriter(indented: false);
        node.WriteTo(writer);
        writer.Flush();
        return t_buffer!.WrittenSpan;
    }

    /// <summary>Flushes a writer from <see cref="RentWriter"/> and copies out what it wrote.</summary>
    public static byte[] ToArrayAndReset(Utf8JsonWriter writer)
    {
        writer.Flush();
        ArrayBufferWriter<byte> buffer = t_buffer!;
        byte[] bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 1024 * 1024)
        {
            // Do not keep a huge buffer alive for the thread's lifetime.
            t_buffer = null;
            t_writer = null;
            t_indentedWriter = null;
        }
        else
        {
            buffer.ResetWrittenCount();
        }
        return bytes;
    }

    /// <summary>A node as compact UTF-8 JSON.</summary>
    public static byte[] ToUtf8Bytes(JsonNode node)
    {
        Utf8JsonWriter writer = RentWriter(indented: false);
        node.WriteTo(writer);
        return ToArrayAndReset(writer);
    }

    public static CniVersion ParseVersion(string text, string path)
    {
        if (!CniVersion.TryParse(text, out CniVersion version))
        {
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"{path}: '{CniJson.Truncate(text)}' is not a CNI version");
        }
        return version;
    }
}
