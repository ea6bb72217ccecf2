using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cni.Net.Spec;

/// <summary>
/// Object keys matched as Go's <c>encoding/json</c> matches them, which is what every reference plugin and libcni do:
/// a key names a field when the two are equal under Unicode simple case folding (<c>"HostPort"</c>, <c>"hostport"</c>
/// and <c>"hostPort"</c> all name <c>hostPort</c>), and when several keys name one field the last one wins.
/// </summary>
/// <remarks>
/// Runtimes rely on it: containerd's go-cni sends capability arguments with Go's field names
/// (<c>{"HostPort":8080,"ContainerPort":80}</c>, <c>{"IngressRate":…}</c>). Writing is not affected: Cni.Net writes
/// the spec's camelCase keys.
/// </remarks>
public static class CniJsonKeys
{
    /// <summary>Whether <paramref name="key"/> names <paramref name="field"/> under Go's case folding.</summary>
    public static bool Matches(ReadOnlySpan<char> key, ReadOnlySpan<char> field)
    {
        if (key.Length != field.Length)
        {
            // Folding can change UTF-16 length only through the two non-ASCII letters that fold to ASCII ones
            // (U+017F ſ → s, U+212A Kelvin → k), each one UTF-16 unit like its ASCII fold: lengths still agree.
            return false;
        }
        for (int i = 0; i < key.Length; i++)
        {
            if (Fold(key[i]) != Fold(field[i]))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Whether the property name under <paramref name="reader"/> names <paramref name="utf8Field"/> (an ASCII field
    /// name) under Go's case folding. The reader must be on a <see cref="JsonTokenType.PropertyName"/>; the common
    /// case (an unescaped ASCII name) is compared without allocating.
    /// </summary>
    /// <exception cref="InvalidOperationException">The reader is not on a property name.</exception>
    public static bool Matches(ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8Field)
    {
        if (reader.TokenType != JsonTokenType.PropertyName)
        {
            throw new InvalidOperationException("the reader is not on a property name");
        }
        ReadOnlySpan<byte> name = reader.HasValueSequence ? default : reader.ValueSpan;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && System.Text.Ascii.IsValid(name))
        {
            return System.Text.Ascii.EqualsIgnoreCase(name, utf8Field);
        }
        string text = reader.GetString()!;
        Span<char> field = stackalloc char[utf8Field.Length];
        int length = System.Text.Encoding.UTF8.GetChars(utf8Field, field);
        return Matches(text, field[..length]);
    }

    /// <summary>
    /// The folded form of <paramref name="key"/>: two keys match exactly when their folded forms are equal, so a reader
    /// can switch on lower-case field names.
    /// </summary>
    public static string Fold(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        for (int i = 0; i < key.Length; i++)
        {
            if (Fold(key[i]) != key[i])
            {
                return string.Create(key.Length, key, static (span, k) =>
                {
                    k.CopyTo(span);
                    FoldInPlace(span);
                });
            }
        }
        return key;
    }

    /// <summary>Folds <paramref name="name"/> in place to the form that <see cref="Matches(ReadOnlySpan{char}, ReadOnlySpan{char})"/> compares.</summary>
    internal static void FoldInPlace(Span<char> name)
    {
        for (int i = 0; i < name.Length; i++)
        {
            name[i] = Fold(name[i]);
        }
    }

    /// <summary>
    /// Finds the value of <paramref name="field"/> in <paramref name="json"/>: the last key that names it, so a
    /// config with both <c>"mtu"</c> and <c>"MTU"</c> reads as Go reads it.
    /// </summary>
    public static bool TryGetProperty(JsonObject json, string field, out JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(field);
        value = null;
        bool found = false;
        foreach (KeyValuePair<string, JsonNode?> pair in json)
        {
            if (Matches(pair.Key, field))
            {
                value = pair.Value;
                found = true;
            }
        }
        return found;
    }

    /// <summary>The value of <paramref name="field"/> (see <see cref="TryGetProperty"/>), or null when absent.</summary>
    public static JsonNode? GetProperty(JsonObject json, string field) =>
        TryGetProperty(json, field, out JsonNode? value) ? value : null;

    /// <summary>
    /// Sets <paramref name="field"/> to <paramref name="value"/> under its canonical spelling, removing every other
    /// key that names the same field (so no older spelling can win over the new value).
    /// </summary>
    public static void SetProperty(JsonObject json, string field, JsonNode? value)
    {
        RemoveProperty(json, field);
        json[field] = value;
    }

    /// <summary>Removes every key that names <paramref name="field"/>; true when one was there.</summary>
    public static bool RemoveProperty(JsonObject json, string field)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(field);
        List<string>? keys = null;
        foreach (KeyValuePair<string, JsonNode?> pair in json)
        {
            if (Matches(pair.Key, field))
            {
                (keys ??= []).Add(pair.Key);
            }
        }
        if (keys is null)
        {
            return false;
        }
        foreach (string key in keys)
        {
            json.Remove(key);
        }
        return true;
    }

    internal static bool TryGetString(JsonObject json, string field, [NotNullWhen(true)] out string? value)
    {
        value = null;
        return TryGetProperty(json, field, out JsonNode? node) && CniJson.TryGetString(node, out value);
    }

    /// <summary>
    /// Go folds with <c>unicode.SimpleFold</c>; for comparing keys that is lower-casing, plus the two letters whose
    /// fold orbit reaches ASCII: long s (U+017F) is an <c>s</c> and the Kelvin sign (U+212A) a <c>k</c>.
    /// </summary>
    private static char Fold(char c)
    {
        if (char.IsAscii(c))
        {
            return (uint)(c - 'A') <= 'Z' - 'A' ? (char)(c | 0x20) : c;
        }
        return c switch
        {
            '\u017F' => 's',
            '\u212A' => 'k',
            _ => char.ToLowerInvariant(c),
        };
    }
}
