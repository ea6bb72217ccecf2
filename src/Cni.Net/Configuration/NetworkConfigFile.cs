using Cni.Net.Spec;

namespace Cni.Net.Configuration;

/// <summary>A network loaded from a conf dir: the list and the files it came from.</summary>
public sealed class NetworkConfigFile
{
    internal NetworkConfigFile(string path, NetworkConfigList config, CniVersion version, IReadOnlyList<string> dropIns)
    {
        Path = path;
        Config = config;
        Version = version;
        DropInFiles = dropIns;
    }

    /// <summary>The <c>.conflist</c>, <c>.conf</c> or <c>.json</c> file.</summary>
    public string Path { get; }

    /// <summary>The network (a <c>.conf</c> lifted into a list of one plugin, with drop-ins appended).</summary>
    public NetworkConfigList Config { get; }

    /// <summary>The version negotiated for the network (<see cref="NetworkConfigList.NegotiateVersion"/>).</summary>
    public CniVersion Version { get; }

    /// <summary>The plugin drop-in files (<c>&lt;confdir&gt;/&lt;name&gt;/*.conf</c>) appended to the list, in order.</summary>
    public IReadOnlyList<string> DropInFiles { get; }

    /// <summary>Whether the file is a <c>.conflist</c> (libcni prefers those when looking a name up).</summary>
    public bool IsList => Path.EndsWith(".conflist", StringComparison.Ordinal);

    /// <inheritdoc/>
    public override string ToString() => $"{Config.Name} ({Version}) from {Path}";
}
