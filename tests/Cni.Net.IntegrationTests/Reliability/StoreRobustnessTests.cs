using System.Text.Json.Nodes;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Plugins.Bridge;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// Our host-local plugin on a damaged or full store: garbage files, junk <c>last_reserved_ip</c>, a missing lock,
/// files where directories should be, a full tmpfs (bytes and inodes, in a private mount namespace that dies with the
/// run). Each gives a correct allocation or a clear CNI error — never a crash, never a partial reservation.
/// </summary>
public sealed class StoreRobustnessTests : IDisposable
{
    private const string Network = "storenet";
    private readonly PluginTestNode _node = new(("host-local", PluginTestNode.Ours("host-local")));
    private readonly TestNamespace _pod = new("store");

    public void Dispose()
    {
        _pod.Dispose();
        _node.Dispose();
    }

    private string NetworkDirectory => Path.Combine(_node.DataDirectory, Network);

    private static string Config(string dataDir) =>
        $$$"""{"cniVersion":"1.0.0","name":"{{{Network}}}","type":"host-local","ipam":{"type":"host-local","dataDir":"{{{dataDir}}}","ranges":[[{"subnet":"10.86.0.0/28"}]]}}""";

    private Shell.Output Run(string command, string containerId, string? dataDir = null) =>
        _node.Exec(PluginTestNode.Ours("host-local"), command, Config(dataDir ?? _node.DataDirectory), containerId, _pod.Path);

    private string Add(string containerId)
    {
        Shell.Output r = Run("ADD", containerId);
        Assert.True(r.ExitCode == 0, $"ADD {containerId}: {r.StdOut}{r.StdErr}");
        return JsonNode.Parse(r.StdOut)!["ips"]![0]!["address"]!.GetValue<string>();
    }

    private void Del(string containerId)
    {
        Shell.Output r = Run("DEL", containerId);
        Assert.True(r.ExitCode == 0, $"DEL {containerId}: {r.StdOut}{r.StdErr}");
    }

    /// <summary>A CNI error on stdout: code and message, the message in CNI words (no .NET type names).</summary>
    private static (int Code, string Message) Error(Shell.Output r)
    {
        Assert.True(r.ExitCode != 0, "expected a CNI error, got: " + r.StdOut);
        JsonObject e = JsonNode.Parse(r.StdOut)!.AsObject();
        string msg = (string)e["msg"]!;
        Assert.DoesNotContain("Exception", msg, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", msg, StringComparison.Ordinal);
        return ((int)e["code"]!, msg);
    }

    [Fact]
    public void GarbageFiles_AreSkippedOrHeld_AllocationCorrect_AndUntouchedByDel()
    {
        Directory.CreateDirectory(NetworkDirectory);
        var garbage = new Dictionary<string, byte[]>
        {
            ["garbage"] = "hello"u8.ToArray(),
            ["10.86.0.2"] = [0xff, 0x00, 0xfe, 0x0a, 0x0d],   // binary owner: held by someone unknown
            ["10.86.0.3"] = [],                               // empty: held
            ["999.1.1.1"] = "x"u8.ToArray(),
            ["10.86.0.300"] = "y"u8.ToArray(),
            [".10.86.0.5.tmp"] = "z"u8.ToArray(),
        };
        foreach (var (name, content) in garbage)
        {
            File.WriteAllBytes(Path.Combine(NetworkDirectory, name), content);
        }
        Directory.CreateDirectory(Path.Combine(NetworkDirectory, "10.86.0.4")); // a directory named as an address

        Assert.Equal("10.86.0.5/28", Add("ctr-garbage-a"));
        Assert.Equal("10.86.0.6/28", Add("ctr-garbage-b"));
        Del("ctr-garbage-a");
        Del("ctr-garbage-b");
        Assert.False(File.Exists(Path.Combine(NetworkDirectory, "10.86.0.5")));
        foreach (var (name, content) in garbage)
        {
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(NetworkDirectory, name)));
        }
        Assert.True(Directory.Exists(Path.Combine(NetworkDirectory, "10.86.0.4")));
    }

    [Theory]
    [InlineData("zzz")]
    [InlineData("")]
    [InlineData("\u0001\u00ff\u0000")]
    [InlineData("10.99.0.7")]
    [InlineData("fd00::1")]
    [InlineData("10.86.0.14")]
    [InlineData("10.86.0.0")]
    [InlineData("10.86.0.2\n10.86.0.9")]
    public void JunkLastReservedIp_AllocatesInRange_AndDelReleases(string junk)
    {
        Directory.CreateDirectory(NetworkDirectory);
        File.WriteAllText(Path.Combine(NetworkDirectory, "last_reserved_ip.0"), junk);
        string address = Add("ctr-junk");
        Assert.True(System.Net.IPNetwork.Parse("10.86.0.0/28").Contains(System.Net.IPAddress.Parse(address.Split('/')[0])), address);
        Assert.NotEqual("10.86.0.1/28", address); // the gateway
        Assert.Single(_node.Reservations(Network));
        Del("ctr-junk");
        Assert.Empty(_node.Reservations(Network));
    }

    [Fact]
    public void MissingLock_IsRecreated_AndAllocationsStayUnique()
    {
        string a = Add("ctr-lock-a");
        File.Delete(Path.Combine(NetworkDirectory, "lock"));
        string b = Add("ctr-lock-b");
        Assert.NotEqual(a, b);
        Assert.True(File.Exists(Path.Combine(NetworkDirectory, "lock")));
        Del("ctr-lock-a");
        Del("ctr-lock-b");
        Assert.Empty(_node.Reservations(Network));
    }

    [Fact]
    public void LockIsADirectory_ClearCniError_NoReservation()
    {
        Directory.CreateDirectory(Path.Combine(NetworkDirectory, "lock"));
        (_, string msg) = Error(Run("ADD", "ctr-lockdir"));
        Assert.Contains(Path.Combine(NetworkDirectory, "lock"), msg, StringComparison.Ordinal);
        Assert.Empty(_node.Reservations(Network));
    }

    [Fact]
    public void NetworkDirectoryIsAFile_ClearCniErrorWithThePath_NoReservation()
    {
        Directory.CreateDirectory(_node.DataDirectory);
        File.WriteAllText(NetworkDirectory, "not a directory");
        (_, string msg) = Error(Run("ADD", "ctr-file"));
        Assert.Contains(NetworkDirectory, msg, StringComparison.Ordinal);
        Assert.Equal("not a directory", File.ReadAllText(NetworkDirectory));
    }

    [Fact]
    public void DataDirIsAFile_ClearCniErrorWithThePath()
    {
        string file = Path.Combine(Path.GetDirectoryName(_node.DataDirectory)!, "plain-file");
        File.WriteAllText(file, "x");
        Shell.Output r = Run("ADD", "ctr-datafile", dataDir: file);
        (_, string msg) = Error(r);
        Assert.Contains(file, msg, StringComparison.Ordinal);
        Assert.Equal("x", File.ReadAllText(file));
    }

    /// <summary>
    /// Runs ADD (then, after freeing space, ADD again and DEL) on a tiny tmpfs mounted in a private mount namespace
    /// (gone with the script, so nothing can stay mounted). Prints: exit code, stdout, the store's listing.
    /// </summary>
    private string[] OnTinyTmpfs(string mountOptions, string prefill)
    {
        string dir = Path.Combine(Path.GetDirectoryName(_node.DataDirectory)!, "tiny");
        Directory.CreateDirectory(dir);
        string script = $$"""
            set -u
            mount -t tmpfs -o {{mountOptions}} tiny "$1" || exit 90
            {{prefill}}
            export CNI_COMMAND=ADD CNI_CONTAINERID=ctr-full CNI_NETNS="$5" CNI_IFNAME=eth0 CNI_PATH=/nonexistent
            "$2" <<<"$3" >"$4"; echo "rc=$?"; echo "out=$(tr -d '\n' <"$4")"
            echo "ls=$(ls -A "$1/{{Network}}" 2>/dev/null | sort | tr '\n' ' ')"
            rm -f "$1"/fill*
            "$2" <<<"$3" >"$4"; echo "rc2=$?"; echo "out2=$(tr -d '\n' <"$4")"
            CNI_COMMAND=DEL "$2" <<<"$3" >"$4"; echo "rc3=$?"
            echo "ls3=$(ls -A "$1/{{Network}}" 2>/dev/null | sort | tr '\n' ' ')"
            """;
        Shell.Output r = Shell.Run("unshare", ["--mount", "--propagation", "private", "bash", "-c", script, "tiny", dir,
            PluginTestNode.Ours("host-local"), Config(dir), dir + ".out", _pod.Path]);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        return r.StdOut.Split('\n');
    }

    private static string Field(string[] lines, string key) =>
        lines.First(l => l.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

    [Theory]
    // Bytes: every page taken, so the address file cannot be written.
    [InlineData("size=64k", "mkdir -p \"$1/storenet\"; : > \"$1/storenet/lock\"; dd if=/dev/zero of=\"$1/fill\" bs=4k 2>/dev/null")]
    // Inodes (root, network dir, lock, two fills): the address file cannot be created.
    [InlineData("nr_inodes=5", "mkdir -p \"$1/storenet\"; : > \"$1/storenet/lock\"; : > \"$1/fill1\"; : > \"$1/fill2\"")]
    // One inode left: the address file is made, last_reserved_ip.0 cannot be (this left a partial reservation).
    [InlineData("nr_inodes=6", "mkdir -p \"$1/storenet\"; : > \"$1/storenet/lock\"; : > \"$1/fill1\"; : > \"$1/fill2\"")]
    public void FullDisk_ClearCniError_NoPartialReservation_ThenAllocatesWhenSpaceReturns(string mountOptions, string prefill)
    {
        string[] lines = OnTinyTmpfs(mountOptions, prefill);
        string all = string.Join('\n', lines);
        Assert.NotEqual("0", Field(lines, "rc"));
        JsonObject error = JsonNode.Parse(Field(lines, "out"))!.AsObject();
        Assert.Contains("no space", ((string)error["msg"]!).ToLowerInvariant(), StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", (string)error["msg"]!, StringComparison.Ordinal);
        // Never a partial reservation: no address file (nor temp file) survives the failed ADD.
        Assert.True(Field(lines, "ls").Trim() is "lock" or "" or "lock last_reserved_ip.0", all);
        Assert.True(Field(lines, "rc2") == "0", all);
        Assert.Equal("10.86.0.2/28", JsonNode.Parse(Field(lines, "out2"))!["ips"]![0]!["address"]!.GetValue<string>());
        Assert.Equal("0", Field(lines, "rc3"));
        Assert.DoesNotContain("10.86.0.2", Field(lines, "ls3"), StringComparison.Ordinal);
    }
}
