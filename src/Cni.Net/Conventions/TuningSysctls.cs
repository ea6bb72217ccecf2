using System.Text.RegularExpressions;

namespace Cni.Net.Conventions;

/// <summary>
/// The tuning plugin's sysctl rules: a key names a file under <c>/proc/sys/net/</c> with dots as separators and the
/// first <c>IFNAME</c> replaced by the pod's interface; when <c>/etc/cni/tuning/allowlist.conf</c> exists, only keys
/// that one of its lines (a regular expression, unanchored as Go's <c>regexp.MatchString</c>) matches are allowed.
/// </summary>
public static class TuningSysctls
{
    /// <summary>The reference plugin's allowlist file.</summary>
    public const string DefaultAllowlistPath = "/etc/cni/tuning/allowlist.conf";

    /// <summary>
    /// The path of a key: dots become slashes, the first <c>IFNAME</c> becomes <paramref name="ifName"/>; the
    /// result must lie under <c>/proc/sys/net/</c>.
    /// </summary>
    /// <param name="key">The key, e.g. <c>net.ipv4.conf.IFNAME.arp_filter</c>.</param>
    /// <param name="ifName">The pod's interface.</param>
    /// <returns>The absolute path.</returns>
    /// <exception cref="ArgumentException">The key leaves <c>/proc/sys/net/</c> (or climbs with <c>..</c>).</exception>
    public static string ToPath(string key, string ifName)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(ifName);
        string relative = key.Replace('.', '/');
        int at = relative.IndexOf("IFNAME", StringComparison.Ordinal);
        if (at >= 0)
        {
            relative = string.Concat(relative.AsSpan(0, at), ifName, relative.AsSpan(at + "IFNAME".Length));
        }
        string path = Path.GetFullPath(Path.Combine("/proc/sys", relative.TrimStart('/')));
        if (!path.StartsWith("/proc/sys/net/", StringComparison.Ordinal))
        {
            throw new ArgumentException($"invalid net sysctl key: \"{relative}\"", nameof(key));
        }
        return path;
    }

    /// <summary>
    /// Reads the allowlist: its non-empty lines, trimmed. Null when the file does not exist (then every key is allowed).
    /// </summary>
    /// <param name="path">The file; <see cref="DefaultAllowlistPath"/> by default.</param>
    /// <returns>The patterns, or null.</returns>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    public static IReadOnlyList<string>? ReadAllowlist(string path = DefaultAllowlistPath)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        return [.. File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0)];
    }

    /// <summary>The first key no pattern matches, or null when all are allowed (or there is no allowlist).</summary>
    /// <param name="keys">The configured keys.</param>
    /// <param name="allowlist">The patterns, or null for no allowlist.</param>
    /// <returns>The refused key, or null.</returns>
    /// <exception cref="ArgumentException">A pattern is not a valid regular expression.</exception>
    public static string? FindRefused(IEnumerable<string> keys, IReadOnlyList<string>? allowlist)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (allowlist is null)
        {
            return null;
        }
        foreach (string key in keys)
        {
            if (!allowlist.Any(pattern => Regex.IsMatch(key, pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1))))
            {
                return key;
            }
        }
        return null;
    }
}
