using System.Text;

namespace Cni.Net.Tests.Execution;

/// <summary>
/// A temporary plugin directory for tests: each fake plugin is a small /bin/sh script that records what it received
/// (stdin, the CNI_* environment, the order of calls) into the directory, then runs a test-given body that prints
/// output and picks an exit code.
/// </summary>
internal sealed class FakePluginDirectory : IDisposable
{
    private int _ignored;

    public FakePluginDirectory()
    {
        Path = Directory.CreateTempSubdirectory("cni-fake-").FullName;
        RecordDir = System.IO.Path.Combine(Path, "rec");
        Directory.CreateDirectory(RecordDir);
    }

    public string Path { get; }

    public string RecordDir { get; }

    /// <summary>A plugin invocation's environment for ADD of container ctr1, eth0, with this directory as CNI_PATH.</summary>
    public Dictionary<string, string> AddEnvironment() => new(StringComparer.Ordinal)
    {
        ["CNI_COMMAND"] = "ADD",
        ["CNI_CONTAINERID"] = "ctr1",
        ["CNI_NETNS"] = "/run/netns/x",
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = Path,
        ["PATH"] = "/usr/bin:/bin",
    };

    /// <summary>Writes an executable script. The body runs after recording; <c>$rec</c> is the record prefix.</summary>
    public string Add(string type, string body)
    {
        string file = System.IO.Path.Combine(Path, type);
        string script = $$"""
            #!/bin/sh
            n=$(cat "{{RecordDir}}/seq" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "{{RecordDir}}/seq"
            rec="{{RecordDir}}/$n.{{type}}.$CNI_COMMAND"
            cat > "$rec.stdin"
            env | grep '^CNI_' | sort > "$rec.env"
            echo "{{type}} $CNI_COMMAND" >> "{{RecordDir}}/order"
            {{body}}

            """;
        File.WriteAllText(file, script, new UTF8Encoding(false));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _ignored++;
        return file;
    }

    /// <summary>A plugin that prints the given JSON and exits with <paramref name="exitCode"/>.</summary>
    public string AddPrinting(string type, string json, int exitCode = 0)
    {
        string quoted = "'" + json.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        return Add(type, $"printf '%s' {quoted}\nexit {exitCode}");
    }

    /// <summary>The calls in order, "type COMMAND" per line.</summary>
    public IReadOnlyList<string> Order()
    {
        string f = System.IO.Path.Combine(RecordDir, "order");
        return File.Exists(f) ? File.ReadAllLines(f) : [];
    }

    /// <summary>Recorded stdin of the n-th call (1-based).</summary>
    public string Stdin(int call) => File.ReadAllText(Find(call, ".stdin"));

    /// <summary>Recorded CNI_* environment of the n-th call.</summary>
    public IReadOnlyDictionary<string, string> Env(int call)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(Find(call, ".env")))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            d[line[..eq]] = line[(eq + 1)..];
        }
        return d;
    }

    private string Find(int call, string suffix)
    {
        string[] hits = Directory.GetFiles(RecordDir, $"{call}.*{suffix}");
        Assert.True(hits.Length == 1, $"call {call} was not recorded ({hits.Length} files)");
        return hits[0];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
