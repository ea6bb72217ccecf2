using Cni.Net.Kubelet;

namespace KubenetNode;

/// <summary>
/// The agent's state directory: the node's kubelet flags (<c>flags</c>, one per line) and, unless the flags say
/// otherwise, the CNI result cache, the host-local store and the conf dir — so a demo never touches /var/lib/cni.
/// </summary>
internal sealed class NodeState
{
    public NodeState(string directory)
    {
        Directory = Path.GetFullPath(directory);
    }

    public string Directory { get; }

    private string FlagsFile => Path.Combine(Directory, "flags");

    /// <summary>Stores the flags (with the state-dir defaults filled in) and returns the options they make.</summary>
    public NetworkPluginOptions Save(List<string> flags)
    {
        var all = new List<string>();
        if (!flags.Exists(f => f.StartsWith("--network-plugin=", StringComparison.Ordinal) || f == "--network-plugin"))
        {
            all.Add("--network-plugin=kubenet");
        }
        AddDefault(all, flags, "--cni-cache-dir", Path.Combine(Directory, "cache"));
        AddDefault(all, flags, "--host-local-data-dir", Path.Combine(Directory, "networks"));
        AddDefault(all, flags, "--cni-conf-dir", Path.Combine(Directory, "net.d"));
        all.AddRange(flags);
        NetworkPluginOptions options = NetworkPluginOptions.Parse(all);
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllLines(FlagsFile, all);
        return options;
    }

    public NetworkPluginOptions Load()
    {
        if (!File.Exists(FlagsFile))
        {
            throw new InvalidOperationException($"{Directory} holds no node: run 'kubenet-node init --state-dir {Directory} ...' first");
        }
        return NetworkPluginOptions.Parse(File.ReadAllLines(FlagsFile).Where(l => l.Length > 0));
    }

    /// <summary>Records the pod CIDR handed over by the event, so later commands start with it.</summary>
    public void SetPodCidr(string podCidr)
    {
        var flags = File.ReadAllLines(FlagsFile).Where(l => l.Length > 0 && !l.StartsWith("--pod-cidr=", StringComparison.Ordinal)).ToList();
        flags.Add("--pod-cidr=" + podCidr);
        File.WriteAllLines(FlagsFile, flags);
    }

    private static void AddDefault(List<string> all, List<string> flags, string name, string value)
    {
        if (!flags.Exists(f => f == name || f.StartsWith(name + "=", StringComparison.Ordinal)))
        {
            all.Add($"{name}={value}");
        }
    }
}
