using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Cni.Net.Spec;

/// <summary>
/// Reads a configuration into a source-generated type the way Go's <c>encoding/json</c> fills a plugin's struct:
/// keys match fields case-insensitively (<see cref="CniJsonKeys"/>), the last of several spellings wins, <c>null</c>
/// leaves a field as it was, unknown keys are ignored, and numbers are strict (no <c>80.0</c> into an integer).
/// One difference stays: where an object key is repeated, the last object replaces the earlier one as a whole (Go
/// would merge the two into the same struct).
/// </summary>
/// <remarks>
/// The serializer's own case-insensitive matching is not Go's (it misses the long s and the Kelvin sign) and cannot
/// be told to skip <c>null</c>; so the JSON is first rewritten under the type's metadata — each key renamed to the
/// field it fills, nulls dropped, each value checked against the field's type so the error names the key path in CNI
/// words — and then read with exact names. The metadata is the source generator's, so this stays reflection-free.
/// </remarks>
internal static class CniConfigReader
{
    private const int MaxDepth = 64;

    /// <summary>Reads <paramref name="json"/> into <typeparamref name="T"/>.</summary>
    /// <param name="json">The object to read.</param>
    /// <param name="typeInfo">The source-generated metadata of <typeparamref name="T"/>.</param>
    /// <param name="path">Where <paramref name="json"/> sits in the whole config (<c>runtimeConfig</c>), for messages.</param>
    /// <exception cref="CniException">Code 7 naming the key path of the value that does not fit.</exception>
    public static T Read<T>(JsonObject json, JsonTypeInfo<T> typeInfo, string path = "") => ReadValue(json, typeInfo, path);

    /// <summary>Reads any value (an object, a list, a scalar) into <typeparamref name="T"/>, as <see cref="Read{T}"/> does.</summary>
    public static T ReadValue<T>(JsonNode json, JsonTypeInfo<T> typeInfo, string path)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = CniJsonEncoder.Instance, SkipValidation = true, MaxDepth = MaxDepth + 1 }))
        {
            Write(writer, json, typeInfo, path, 0);
        }
        try
        {
            return JsonSerializer.Deserialize(buffer.WrittenSpan, typeInfo)
                ?? throw Invalid(path, "expected an object, found null");
        }
        catch (JsonException e)
        {
            // What the pre-check cannot know (a converter that refuses a string, an enum name): the serializer's path.
            throw Invalid(Join(path, ToKeyPath(e.Path)), FirstSentence(e.Message), e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or NotSupportedException)
        {
            throw Invalid(path, e is ArgumentException a ? CniException.MessageWithoutParameter(a) : e.Message, e);
        }
    }

    private static void Write(Utf8JsonWriter writer, JsonNode? node, JsonTypeInfo type, string path, int depth)
    {
        if (depth > MaxDepth)
        {
            throw Invalid(path, "nested too deeply");
        }
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object:
                WriteObject(writer, node, type, path, depth);
                break;
            case JsonTypeInfoKind.Enumerable:
                if (node is not JsonArray array)
                {
                    throw Expected(path, "a list", node);
                }
                JsonTypeInfo element = type.Options.GetTypeInfo(type.ElementType!);
                writer.WriteStartArray();
                for (int i = 0; i < array.Count; i++)
                {
                    string itemPath = string.Concat(path, "[", i.ToString(CultureInfo.InvariantCulture), "]");
                    if (array[i] is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        Write(writer, array[i], element, itemPath, depth + 1);
                    }
                }
                writer.WriteEndArray();
                break;
            case JsonTypeInfoKind.Dictionary:
                if (node is not JsonObject map)
                {
                    throw Expected(path, "an object", node);
                }
                JsonTypeInfo value = type.Options.GetTypeInfo(type.ElementType!);
                writer.WriteStartObject();
                foreach (KeyValuePair<string, JsonNode?> pair in map)
                {
                    // Map keys are data, not field names: kept as written.
                    writer.WritePropertyName(pair.Key);
                    if (pair.Value is null)
                    {
                        writer.WriteNullValue();
                    }
                    else
                    {
                        Write(writer, pair.Value, value, Join(path, pair.Key), depth + 1);
                    }
                }
                writer.WriteEndObject();
                break;
            default:
                CheckScalar(node, type.Type, path);
                if (node is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    node.WriteTo(writer);
                }
                break;
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, JsonNode? node, JsonTypeInfo type, string path, int depth)
    {
        if (node is not JsonObject obj)
        {
            throw Expected(path, "an object", node);
        }
        IList<JsonPropertyInfo> properties = type.Properties;
        // Go fills a field once per matching key in document order, a null leaving it alone: the last non-null wins.
        var chosen = new JsonNode?[properties.Count];
        var present = new bool[properties.Count];
        foreach (KeyValuePair<string, JsonNode?> pair in obj)
        {
            int index = FindProperty(properties, pair.Key);
            if (index < 0 || pair.Value is null)
            {
                continue;
            }
            chosen[index] = pair.Value;
            present[index] = true;
        }
        writer.WriteStartObject();
        for (int i = 0; i < properties.Count; i++)
        {
            JsonPropertyInfo property = properties[i];
            if (!present[i])
            {
                if (property.IsRequired)
                {
                    throw Invalid(Join(path, property.Name), "required key is missing");
                }
                continue;
            }
            writer.WritePropertyName(property.Name);
            Write(writer, chosen[i], type.Options.GetTypeInfo(property.PropertyType), Join(path, property.Name), depth + 1);
        }
        writer.WriteEndObject();
    }

    private static int FindProperty(IList<JsonPropertyInfo> properties, string key)
    {
        // An exact name wins over a folded one, as in Go.
        for (int i = 0; i < properties.Count; i++)
        {
            if (string.Equals(properties[i].Name, key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        for (int i = 0; i < properties.Count; i++)
        {
            if (CniJsonKeys.Matches(key, properties[i].Name))
            {
                return i;
            }
        }
        return -1;
    }

    private static void CheckScalar(JsonNode? node, Type type, string path)
    {
        Type target = Nullable.GetUnderlyingType(type) ?? type;
        if (node is null)
        {
            return;
        }
        if (target == typeof(string))
        {
            if (node.GetValueKind() != JsonValueKind.String)
            {
                throw Expected(path, "a string", node);
            }
        }
        else if (target == typeof(bool))
        {
            if (node.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw Expected(path, "true or false", node);
            }
        }
        else if (IntegerRange(target) is var (min, max))
        {
            if (node.GetValueKind() != JsonValueKind.Number)
            {
                throw Expected(path, "an integer", node);
            }
            string text = node.ToJsonString();
            if (!Int128.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out Int128 value))
            {
                throw Invalid(path, $"expected an integer, found {CniJson.Truncate(text)}");
            }
            if (value < min || value > max)
            {
                throw Invalid(path, string.Create(CultureInfo.InvariantCulture, $"{text} is out of range ({min}–{max})"));
            }
        }
        else if (target == typeof(double) || target == typeof(float) || target == typeof(decimal))
        {
            if (node.GetValueKind() != JsonValueKind.Number)
            {
                throw Expected(path, "a number", node);
            }
        }
    }

    private static (Int128 Min, Int128 Max)? IntegerRange(Type type) =>
        type == typeof(int) ? (int.MinValue, int.MaxValue)
        : type == typeof(uint) ? (uint.MinValue, uint.MaxValue)
        : type == typeof(long) ? (long.MinValue, long.MaxValue)
        : type == typeof(ulong) ? (ulong.MinValue, ulong.MaxValue)
        : type == typeof(short) ? (short.MinValue, short.MaxValue)
        : type == typeof(ushort) ? (ushort.MinValue, ushort.MaxValue)
        : type == typeof(byte) ? (byte.MinValue, byte.MaxValue)
        : type == typeof(sbyte) ? (sbyte.MinValue, sbyte.MaxValue)
        : null;

    private static string Join(string path, string key) =>
        path.Length == 0 ? key : key.Length == 0 ? path : key[0] == '[' ? path + key : string.Concat(path, ".", key);

    /// <summary>The serializer's <c>$.ipam.ranges[0]</c> as the key path CNI messages use (<c>ipam.ranges[0]</c>).</summary>
    private static string ToKeyPath(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) ? "" : jsonPath.TrimStart('$').TrimStart('.');

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    private static CniException Expected(string path, string expected, JsonNode? found) =>
        Invalid(path, $"expected {expected}, found {CniJson.Describe(found)}");

    internal static CniException Invalid(string path, string problem, Exception? inner = null) =>
        new(CniErrorCode.InvalidNetworkConfig, path.Length == 0 ? $"config: {problem}" : $"{path}: {problem}", null, inner);
}
