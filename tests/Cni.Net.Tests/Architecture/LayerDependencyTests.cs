using System.Text.RegularExpressions;

namespace Cni.Net.Tests.Architecture;

/// <summary>
/// The library's layers depend one way: each namespace of <c>src/Cni.Net</c> may use only the layers listed for it,
/// and no two namespaces use each other. Read from the sources (every <c>using Cni.Net.…</c> and every fully
/// qualified <c>Cni.Net.…</c> name), so a new dependency fails here before anyone reads the diff.
/// </summary>
public partial class LayerDependencyTests
{
    /// <summary>What each layer may use (besides itself). Sub-namespaces belong to their first-level layer.</summary>
    private static readonly Dictionary<string, string[]> s_allowed = new(StringComparer.Ordinal)
    {
        ["Interop"] = [],
        ["Spec"] = [],
        ["Configuration"] = ["Spec"],
        ["Namespaces"] = ["Interop"],
        ["Dhcp"] = ["Interop", "Namespaces"],
        ["Netlink"] = ["Interop", "Namespaces"],
        ["TrafficControl"] = ["Interop", "Namespaces", "Netlink"],
        ["Netfilter"] = ["Interop", "Namespaces", "Netlink"],
        ["Processes"] = ["Interop", "Spec"],
        ["Ipam"] = ["Interop", "Spec"],
        ["Conventions"] = ["Interop", "Namespaces", "Netlink", "TrafficControl", "Netfilter", "Spec", "Processes"],
        ["Plugins"] = ["Interop", "Namespaces", "Netlink", "TrafficControl", "Netfilter", "Spec", "Processes", "Conventions", "Ipam"],
        ["Execution"] = ["Interop", "Namespaces", "Netlink", "Spec", "Configuration", "Processes", "Plugins"],
        ["Kubelet"] = ["Interop", "Namespaces", "Netlink", "TrafficControl", "Netfilter", "Spec", "Configuration", "Processes",
            "Conventions", "Ipam", "Plugins", "Execution"],
    };

    /// <summary>Layers below Conventions are generic: they name nothing of CNI.</summary>
    private static readonly string[] s_generic = ["Interop", "Namespaces", "Netlink", "TrafficControl", "Netfilter", "Dhcp"];

    [GeneratedRegex(@"\bCni\.Net\.([A-Z]\w*)")]
    private static partial Regex QualifiedName();

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cni.Net.sln")))
            {
                return Path.Combine(dir.FullName, "src", "Cni.Net");
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }

    private static Dictionary<string, Dictionary<string, List<string>>> Dependencies()
    {
        string root = SourceRoot();
        var deps = new Dictionary<string, Dictionary<string, List<string>>>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || !relative.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }
            string layer = relative[..relative.IndexOf(Path.DirectorySeparatorChar, StringComparison.Ordinal)];
            // Comments may name anything (a cref to explain a choice is not a dependency).
            string code = string.Join('\n', File.ReadLines(file).Select(l => l.TrimStart()).Where(l => !l.StartsWith("//", StringComparison.Ordinal)));
            foreach (Match m in QualifiedName().Matches(code))
            {
                string used = m.Groups[1].Value;
                if (used == layer)
                {
                    continue;
                }
                Dictionary<string, List<string>> byLayer = deps.TryGetValue(layer, out var d) ? d : deps[layer] = new(StringComparer.Ordinal);
                (byLayer.TryGetValue(used, out var files) ? files : byLayer[used] = []).Add(relative);
            }
        }
        return deps;
    }

    [Fact]
    public void EveryFolder_IsAKnownLayer()
    {
        string root = SourceRoot();
        string[] folders = Directory.GetDirectories(root).Select(Path.GetFileName).Where(f => f is not ("obj" or "bin"))
            .Where(f => Directory.EnumerateFiles(Path.Combine(root, f!), "*.cs", SearchOption.AllDirectories).Any()).ToArray()!;
        Assert.DoesNotContain(folders, f => !s_allowed.ContainsKey(f!));
    }

    [Fact]
    public void Layers_UseOnlyTheLayersBelowThem()
    {
        var violations = new List<string>();
        foreach (var (layer, used) in Dependencies())
        {
            foreach (var (target, files) in used)
            {
                if (!s_allowed.TryGetValue(layer, out string[]? allowed) || !allowed.Contains(target))
                {
                    violations.Add($"{layer} uses {target} in {string.Join(", ", files.Distinct().Take(3))}");
                }
            }
        }
        Assert.Empty(violations);
    }

    [Fact]
    public void NoTwoLayers_UseEachOther()
    {
        Dictionary<string, Dictionary<string, List<string>>> deps = Dependencies();
        var cycles = deps.SelectMany(a => a.Value.Keys.Where(b => deps.TryGetValue(b, out var back) && back.ContainsKey(a.Key))
            .Select(b => $"{a.Key} <-> {b}")).ToList();
        Assert.Empty(cycles);
    }

    [Fact]
    public void GenericLayers_NameNothingOfCni()
    {
        string root = SourceRoot();
        var offenders = new List<string>();
        foreach (string layer in s_generic)
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(root, layer), "*.cs", SearchOption.AllDirectories))
            {
                string name = Path.GetFileNameWithoutExtension(file);
                string code = File.ReadAllText(file);
                if (name.StartsWith("Cni", StringComparison.Ordinal) || Regex.IsMatch(code, @"\b(class|struct|record|enum|interface)\s+Cni\w*"))
                {
                    offenders.Add(Path.GetRelativePath(root, file));
                }
            }
        }
        Assert.Empty(offenders);
    }

    [Fact]
    public void OnlyChildProcess_StartsProcesses()
    {
        // One way to start a process: posix_spawn into a process group of its own (Interop/ChildProcess.cs), which
        // System.Diagnostics.Process cannot do — with it a timeout would leave the tool's children running.
        string root = SourceRoot();
        string[] home = [Path.Combine("Interop", "ChildProcess.cs"), Path.Combine("Interop", "ProcessInterop.cs")];
        var offenders = new List<string>();
        foreach (string file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(root, file);
            if (relative.StartsWith("obj", StringComparison.Ordinal) || home.Contains(relative))
            {
                continue;
            }
            string code = string.Join('\n', File.ReadLines(file).Select(l => l.TrimStart()).Where(l => !l.StartsWith("//", StringComparison.Ordinal)));
            if (Regex.IsMatch(code, @"\bSystem\.Diagnostics\.Process\b|\bProcess\.Start\b|\bProcessStartInfo\b|\bnew Process\(|posix_spawn|\bfork\b|\bexecv"))
            {
                offenders.Add(relative);
            }
        }
        Assert.Empty(offenders);
    }

    [Fact]
    public void TheCheck_SeesDependencies()
    {
        // Guards the guard: the kubelet layer really is found using the executor and the conventions.
        Dictionary<string, Dictionary<string, List<string>>> deps = Dependencies();
        Assert.Contains("Execution", deps["Kubelet"].Keys);
        Assert.Contains("Netfilter", deps["Conventions"].Keys);
    }
}
