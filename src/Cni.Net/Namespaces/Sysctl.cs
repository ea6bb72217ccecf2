using Cni.Net.Interop;

namespace Cni.Net.Namespaces;

/// <summary>
/// Reads and writes network sysctls (<c>/proc/sys/net/…</c>) of the calling thread's namespace or of a given
/// <see cref="NetworkNamespace"/>. Only keys under <c>net</c> are accepted.
/// </summary>
/// <remarks>
/// Keys are written as <c>net.ipv4.ip_forward</c> or <c>net/ipv4/ip_forward</c>; use the slash form when a
/// component (an interface name such as <c>eth0.100</c>) contains a dot, as <c>sysctl</c> does.
/// </remarks>
public static class Sysctl
{
    private const string Root = "/proc/sys/";

    /// <summary>Reads a sysctl; the value without its trailing newline.</summary>
    /// <exception cref="ArgumentException">The key is not a valid key under <c>net</c>.</exception>
    /// <exception cref="FileNotFoundException">The sysctl does not exist (in that namespace).</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    public static string Read(string key, NetworkNamespace? networkNamespace = null)
    {
        string path = ToPath(key);
        return networkNamespace is null ? ReadPath(key, path) : networkNamespace.RunOnCallingThread(() => ReadPath(key, path));
    }

    /// <summary>Writes a sysctl.</summary>
    /// <exception cref="ArgumentException">The key is not a valid key under <c>net</c>, or the value contains a newline.</exception>
    /// <exception cref="FileNotFoundException">The sysctl does not exist (in that namespace).</exception>
    /// <exception cref="IOException">The kernel refused the value.</exception>
    public static void Write(string key, string value, NetworkNamespace? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.AsSpan().IndexOfAny('\n', '\0') >= 0)
        {
            throw new ArgumentException("a sysctl value cannot contain a newline or NUL", nameof(value));
        }
        string path = ToPath(key);
        if (networkNamespace is null)
        {
            WritePath(key, path, value);
        }
        else
        {
            networkNamespace.RunOnCallingThread(() => WritePath(key, path, value));
        }
    }

    /// <summary>Maps a key to its path under /proc/sys, validating every component.</summary>
    /// <exception cref="ArgumentException">The key is not a valid key under <c>net</c>.</exception>
    public static string ToPath(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string relative = key.StartsWith(Root, StringComparison.Ordinal) ? key[Root.Length..] : key;
        if (!relative.Contains('/', StringComparison.Ordinal))
        {
            relative = relative.Replace('.', '/');
        }
        string[] parts = relative.Split('/');
        if (parts.Length < 2 || parts[0] != "net")
        {
            throw new ArgumentException($"sysctl '{key}' is not under net (only network sysctls are handled)", nameof(key));
        }
        foreach (string part in parts)
        {
            if (part.Length == 0 || part is "." or ".." || part.Length > 255)
            {
                throw new ArgumentException($"sysctl '{key}' has an empty, '.' or '..' component", nameof(key));
            }
            foreach (char c in part)
            {
                if (char.IsControl(c) || char.IsWhiteSpace(c))
                {
                    throw new ArgumentException($"sysctl '{key}' contains whitespace or a control character", nameof(key));
                }
            }
        }
        return Root + relative;
    }

    private static string ReadPath(string key, string path)
    {
        try
        {
            return ProcFile.ReadText(path).TrimEnd('\n');
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"sysctl {key} does not exist in this network namespace", path, e);
        }
    }

    private static int WritePath(string key, string path, string value)
    {
        int error;
        try
        {
            error = ProcFile.WriteExisting(path, System.Text.Encoding.UTF8.GetBytes(value + "\n"));
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"sysctl {key} does not exist in this network namespace", path, e);
        }
        if (error != 0)
        {
            throw new IOException($"sysctl {key}: the kernel refused '{value}': {ProcFile.Describe(error)}", error);
        }
        return 0;
    }
}
