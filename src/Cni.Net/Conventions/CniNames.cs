using System.Text;
using Cni.Net.Interop;
using Cni.Net.Netfilter;

namespace Cni.Net.Conventions;

/// <summary>
/// The names the reference plugins derive from a network name and a container id, so that chains and comments
/// written by either can be found and removed by the other.
/// </summary>
public static class CniNames
{
    /// <summary>The longest chain name iptables accepts.</summary>
    public const int MaxChainLength = 28;

    /// <summary>The per-container NAT chain of ip-masq: <c>"CNI-" + hex(sha512(network + containerId))</c>, 28 characters.</summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The chain name.</returns>
    public static string ContainerChain(string network, string containerId) =>
        HashName("CNI-", MaxChainLength, network, containerId);

    /// <summary>portmap's per-container DNAT chain: <c>"CNI-DN-" + hex(sha512(network + containerId))</c>, 28 characters.</summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The chain name.</returns>
    public static string PortMapChain(string network, string containerId) =>
        HashName("CNI-DN-", MaxChainLength, network, containerId);

    /// <summary>The comment on ip-masq rules: <c>name: "&lt;network&gt;" id: "&lt;containerId&gt;"</c>.</summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The comment.</returns>
    /// <remarks>Cut to the 255 bytes a comment holds, as iptables cuts the reference plugins' comments: a long
    /// container id (the spec sets no limit) must not fail the rule.</remarks>
    public static string Comment(string network, string containerId) =>
        TrimComment($"name: {GoQuote(network)} id: {GoQuote(containerId)}");

    /// <summary>The comment on portmap's entry rules: <c>dnat name: "&lt;network&gt;" id: "&lt;containerId&gt;"</c>.</summary>
    /// <param name="network">The network name.</param>
    /// <param name="containerId">The container id.</param>
    /// <returns>The comment, cut to the 255 bytes a comment holds.</returns>
    public static string PortMapComment(string network, string containerId) =>
        TrimComment("dnat " + Comment(network, containerId));

    /// <summary><paramref name="prefix"/> + lower-case hex of sha512(<paramref name="network"/> + <paramref name="containerId"/>), cut to <paramref name="length"/>.</summary>
    internal static string HashName(string prefix, int length, string network, string containerId)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(containerId);
        byte[] hash = Sha512.HashData(Encoding.UTF8.GetBytes(network + containerId));
        string name = prefix + Convert.ToHexStringLower(hash);
        return name[..length];
    }

    internal static string TrimComment(string comment)
    {
        if (Encoding.UTF8.GetByteCount(comment) <= CommentMatch.MaxLength)
        {
            return comment;
        }
        // Whole characters only: never half of a multi-byte sequence or a surrogate pair.
        int bytes = 0, chars = 0;
        foreach (Rune rune in comment.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > CommentMatch.MaxLength)
            {
                break;
            }
            bytes += rune.Utf8SequenceLength;
            chars += rune.Utf16SequenceLength;
        }
        return comment[..chars];
    }

    // Go's %q for the characters a name or id can hold; names are validated upstream, this only keeps odd input
    // from breaking the comment.
    private static string GoQuote(string value)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c))
                    {
                        sb.Append("\\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
