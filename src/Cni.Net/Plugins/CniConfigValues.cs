using System.ComponentModel;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cni.Net.Spec;

namespace Cni.Net.Plugins;

/// <summary>
/// The checks and conversions behind the readers the <see cref="CniConfigAttribute"/> generator writes: each takes a
/// value that is present and not <c>null</c>, and either returns it as the member's type or throws code 7 naming the
/// key path, with the words <see cref="PluginConfig.As{T}"/> uses.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class CniConfigValues
{
    /// <summary>
    /// The index in <paramref name="names"/> of the member <paramref name="key"/> fills, or -1: an exact name first,
    /// then one equal under Go's case folding (<see cref="CniJsonKeys.Matches(ReadOnlySpan{char}, ReadOnlySpan{char})"/>).
    /// </summary>
    public static int FindKey(string key, ReadOnlySpan<string> names)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (int i = 0; i < names.Length; i++)
        {
            if (string.Equals(names[i], key, StringComparison.Ordinal))
            {
                return i;
            }
        }
        for (int i = 0; i < names.Length; i++)
        {
            if (CniJsonKeys.Matches(key, names[i]))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>The value as an object.</summary>
    public static JsonObject ReadObject(JsonNode node, CniConfigKeyPath at) =>
        node as JsonObject ?? throw Expected(at, "an object", node);

    /// <summary>The value as a list.</summary>
    public static JsonArray ReadList(JsonNode node, CniConfigKeyPath at) =>
        node as JsonArray ?? throw Expected(at, "a list", node);

    /// <summary>The value as a string.</summary>
    public static string ReadString(JsonNode node, CniConfigKeyPath at) =>
        CniJson.TryGetString(node, out string? value) ? value : throw Expected(at, "a string", node);

    /// <summary>The value as <see langword="true"/> or <see langword="false"/>.</summary>
    public static bool ReadBoolean(JsonNode node, CniConfigKeyPath at) =>
        node is JsonValue value ? value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Expected(at, "true or false", node),
        } : throw Expected(at, "true or false", node);

    /// <summary>The value as an integer of type <typeparamref name="T"/>: a number without fraction or exponent, in range.</summary>
    public static T ReadInteger<T>(JsonNode node, CniConfigKeyPath at)
        where T : struct, IBinaryInteger<T>, IMinMaxValue<T>
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            throw Expected(at, "an integer", node);
        }
        // The number's text as written, parsed in place (not TryGetValue<T>: see CniJson.TryGetString; not
        // ToJsonString: its writer cache rents and zeroes a 16 KiB buffer in every process).
        ReadOnlySpan<byte> text = CniJson.WriteToThreadBuffer(value);
        if (T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out T result))
        {
            return result;
        }
        string shown = CniJson.Truncate(Encoding.UTF8.GetString(text));
        // JSON numbers have no '+': digits after an optional '-' are an integer, just not one that fits.
        if (text.TrimStart((byte)'-').ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            throw CniConfigReader.Invalid(at.ToString(), $"expected an integer, found {shown}");
        }
        throw CniConfigReader.Invalid(at.ToString(), string.Create(CultureInfo.InvariantCulture, $"{shown} is out of range ({T.MinValue}–{T.MaxValue})"));
    }

    /// <summary>The value as a number of type <typeparamref name="T"/> (<see cref="double"/>, <see cref="float"/>, <see cref="decimal"/>).</summary>
    public static T ReadNumber<T>(JsonNode node, CniConfigKeyPath at)
        where T : struct, INumberBase<T>
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            throw Expected(at, "a number", node);
        }
        ReadOnlySpan<byte> text = CniJson.WriteToThreadBuffer(value);
        if (T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out T result) && T.IsFinite(result))
        {
            return result;
        }
        throw CniConfigReader.Invalid(at.ToString(), $"{CniJson.Truncate(Encoding.UTF8.GetString(text))} is out of range for {typeof(T).Name}");
    }

    /// <summary>The value as a <see cref="JsonElement"/> of its own (it outlives the configuration's tree).</summary>
    public static JsonElement ReadElement(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        using JsonDocument document = JsonDocument.Parse(CniJson.ToUtf8Bytes(node));
        return document.RootElement.Clone();
    }

    /// <summary>The value as a tree of its own (a deep copy: the configuration's tree is left as it is).</summary>
    public static JsonNode ReadNode(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.DeepClone();
    }

    /// <summary>The error for a mandatory key that is missing or <c>null</c>.</summary>
    public static CniException Missing(CniConfigKeyPath at) => CniConfigReader.Invalid(at.ToString(), "required key is missing");

    private static CniException Expected(CniConfigKeyPath at, string expected, JsonNode? found) =>
        CniConfigReader.Invalid(at.ToString(), $"expected {expected}, found {CniJson.Describe(found)}");
}
