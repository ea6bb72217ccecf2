using System.Text;

namespace Cni.Net.Spec;

/// <summary>
/// <c>CNI_ARGS</c>: <c>K=V;K2=V2</c> pairs. Parsing splits each pair at its first <c>=</c> (so values may contain
/// <c>=</c>), skips empty pairs, and keeps duplicates in order (lookups return the last). The conventional
/// <c>IgnoreUnknown=1</c> key tells a plugin not to fail on keys it does not know.
/// </summary>
public sealed class CniArgs
{
    private readonly List<KeyValuePair<string, string>> _pairs;

    /// <summary>Creates arguments from pairs.</summary>
    /// <exception cref="ArgumentException">A key is empty or contains <c>=</c> or <c>;</c>, or a value contains <c>;</c>.</exception>
    public CniArgs(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        _pairs = [];
        foreach (KeyValuePair<string, string> pair in pairs)
        {
            if (string.IsNullOrEmpty(pair.Key) || pair.Key.AsSpan().IndexOfAny('=', ';') >= 0)
            {
                throw new ArgumentException($"CNI_ARGS key '{pair.Key}' is empty or contains '=' or ';'", nameof(pairs));
            }
            if (pair.Value is null || pair.Value.Contains(';', StringComparison.Ordinal))
            {
                throw new ArgumentException($"CNI_ARGS value of '{pair.Key}' is null or contains ';'", nameof(pairs));
            }
            _pairs.Add(pair);
        }
    }

    private CniArgs(List<KeyValuePair<string, string>> pairs, bool _)
    {
        _pairs = pairs;
    }

    /// <summary>No arguments.</summary>
    public static CniArgs Empty { get; } = new([], false);

    /// <summary>The pairs in their original order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

    /// <summary>Whether <c>IgnoreUnknown</c> is set to <c>1</c> or <c>true</c> (any case).</summary>
    public bool IgnoreUnknown =>
        TryGetValue("IgnoreUnknown", out string? v) &&
        (v == "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>The last value of <paramref name="key"/>, or null.</summary>
    public string? this[string key] => TryGetValue(key, out string? value) ? value : null;

    /// <summary>Looks up the last value of <paramref name="key"/> (keys are case-sensitive).</summary>
    public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        for (int i = _pairs.Count - 1; i >= 0; i--)
        {
            if (string.Equals(_pairs[i].Key, key, StringComparison.Ordinal))
            {
                value = _pairs[i].Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Parses <c>CNI_ARGS</c>; null or empty gives <see cref="Empty"/>.</summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidEnvironmentVariables"/>: a pair has no <c>=</c> or an empty key.</exception>
    public static CniArgs Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return Empty;
        }
        var pairs = new List<KeyValuePair<string, string>>();
        foreach (Range range in value.AsSpan().Split(';'))
        {
            ReadOnlySpan<char> pair = value.AsSpan()[range];
            if (pair.IsEmpty)
            {
                continue;
            }
            int eq = pair.IndexOf('=');
            if (eq < 0)
            {
                throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                    $"CNI_ARGS: '{CniJson.Truncate(pair.ToString())}' is not a KEY=VALUE pair");
            }
            if (eq == 0)
            {
                throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                    $"CNI_ARGS: '{CniJson.Truncate(pair.ToString())}' has an empty key");
            }
            pairs.Add(new KeyValuePair<string, string>(pair[..eq].ToString(), pair[(eq + 1)..].ToString()));
        }
        return new CniArgs(pairs, false);
    }

    /// <summary>
    /// Fails on keys outside <paramref name="known"/> unless <see cref="IgnoreUnknown"/> is set (as the Go plugins'
    /// <c>types.LoadArgs</c> does). <c>IgnoreUnknown</c> itself is always known.
    /// </summary>
    /// <exception cref="CniException">Code <see cref="CniErrorCode.InvalidEnvironmentVariables"/> naming the unknown key.</exception>
    public void EnsureKnown(params ReadOnlySpan<string> known)
    {
        if (IgnoreUnknown)
        {
            return;
        }
        foreach (KeyValuePair<string, string> pair in _pairs)
        {
            if (pair.Key == "IgnoreUnknown" || known.Contains(pair.Key))
            {
                continue;
            }
            throw new CniException(CniErrorCode.InvalidEnvironmentVariables,
                $"CNI_ARGS: unknown key '{pair.Key}' (set IgnoreUnknown=1 to ignore it)");
        }
    }

    /// <summary>The pairs as <c>K=V;K2=V2</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (KeyValuePair<string, string> pair in _pairs)
        {
            if (sb.Length > 0)
            {
                sb.Append(';');
            }
            sb.Append(pair.Key).Append('=').Append(pair.Value);
        }
        return sb.ToString();
    }
}
