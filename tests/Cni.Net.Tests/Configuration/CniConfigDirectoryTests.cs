using Cni.Net.Configuration;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Tests.Configuration;

public sealed class CniConfigDirectoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cni-confdir-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string relative, string content)
    {
        string path = Path.Combine(_dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    private void WriteMixedDirectory()
    {
        Write("00-broken.conflist", "{\n  \"name\": \"broken\",\n  \"plugins\": [ {\"type\": \"bridge\" ]\n}");
        Write("05-noname.conflist", """{"cniVersion":"1.0.0","plugins":[{"type":"bridge"}]}""");
        Write("10-future.conflist", """{"cniVersion":"9.0.0","name":"future","plugins":[{"type":"bridge"}]}""");
        Write("15-notes.txt", "not a config");
        Write("20-dropins.conflist", """{"cniVersion":"1.0.0","name":"dropnet","plugins":[{"type":"bridge","bridge":"cni0"}]}""");
        Write("dropnet/20-portmap.conf", """{"type":"portmap","capabilities":{"portMappings":true}}""");
        Write("dropnet/10-tuning.conf", """{"type":"tuning"}""");
        Write("dropnet/ignored.json", """{"type":"ignored"}""");
        Write("25-inlined.conflist", """{"cniVersion":"1.1.0","name":"inlined","loadOnlyInlinedPlugins":"true","plugins":[{"type":"ptp"}]}""");
        Write("inlined/extra.conf", """{"type":"extra"}""");
        Write("30-bad-dropin.conflist", """{"cniVersion":"1.0.0","name":"baddrop","plugins":[{"type":"bridge"}]}""");
        Write("baddrop/1-bad.conf", """{"type":"a/b"}""");
        Write("40-single.conf", """{"cniVersion":"0.3.1","name":"single","type":"bridge","ipam":{"type":"host-local"}}""");
        Write("50-dup.conf", """{"cniVersion":"0.4.0","name":"dropnet","type":"macvlan"}""");
        Write("60-pick.json", """{"cniVersion":"0.4.0","name":"pick","type":"ipvlan"}""");
        Write("70-pick.conflist", """{"cniVersion":"0.4.0","name":"pick","plugins":[{"type":"vlan"}]}""");
        Write("80-noplugins.conflist", """{"cniVersion":"1.0.0","name":"empty"}""");
        Write("90-dropsonly.conflist", """{"cniVersion":"1.0.0","name":"dropsonly"}""");
        Write("dropsonly/a.conf", """{"type":"loopback"}""");
        Write("Zeta.conf", """{"cniVersion":"1.0.0","name":"zeta","type":"bridge"}""");
        Write("a-lower.conf", """{"cniVersion":"1.0.0","name":"lower","type":"bridge"}""");
        Write("badname.conf", """{"cniVersion":"1.0.0","name":"bad name","type":"bridge"}""");
        Directory.CreateDirectory(Path.Combine(_dir, "dir.conf"));
    }

    [Fact]
    public void Load_MixedDirectory_UsesValidFilesInOrdinalOrder()
    {
        WriteMixedDirectory();
        CniConfigDirectory conf = CniConfigDirectory.Load(_dir);

        Assert.Equal(["dropnet", "inlined", "single", "dropnet", "pick", "pick", "dropsonly", "zeta", "lower"],
            conf.Networks.Select(n => n.Config.Name));
        Assert.Equal("dropnet", conf.Default!.Config.Name);
        Assert.Equal(Path.Combine(_dir, "20-dropins.conflist"), conf.Default.Path);
    }

    [Fact]
    public void Load_DropIns_AppendedInNameOrder_UnlessLoadOnlyInlined()
    {
        WriteMixedDirectory();
        CniConfigDirectory conf = CniConfigDirectory.Load(_dir);

        NetworkConfigFile dropnet = conf.Networks[0];
        Assert.Equal(["bridge", "tuning", "portmap"], dropnet.Config.Plugins.Select(p => p.Type));
        Assert.Equal([Path.Combine(_dir, "dropnet/10-tuning.conf"), Path.Combine(_dir, "dropnet/20-portmap.conf")], dropnet.DropInFiles);
        Assert.True(dropnet.Config.Plugins[2].Capabilities["portMappings"]);

        NetworkConfigFile inlined = conf.Find("inlined")!;
        Assert.True(inlined.Config.LoadOnlyInlinedPlugins);
        Assert.Equal(["ptp"], inlined.Config.Plugins.Select(p => p.Type));
        Assert.Empty(inlined.DropInFiles);

        Assert.Equal(["loopback"], conf.Find("dropsonly")!.Config.Plugins.Select(p => p.Type));
    }

    [Fact]
    public void Load_ConfFile_IsLiftedIntoAList()
    {
        WriteMixedDirectory();
        NetworkConfigFile single = CniConfigDirectory.Load(_dir).Find("single")!;
        Assert.False(single.IsList);
        Assert.Equal(CniVersion.V0_3_1, single.Version);
        Assert.Equal("bridge", Assert.Single(single.Config.Plugins).Type);
        Assert.Equal("""{"cniVersion":"0.3.1","name":"single","plugins":[{"cniVersion":"0.3.1","name":"single","type":"bridge","ipam":{"type":"host-local"}}]}""",
            System.Text.Encoding.UTF8.GetString(single.Config.Bytes.Span));
    }

    [Fact]
    public void Find_PrefersConflistLikeLibcni()
    {
        WriteMixedDirectory();
        CniConfigDirectory conf = CniConfigDirectory.Load(_dir);
        Assert.Equal(Path.Combine(_dir, "70-pick.conflist"), conf.Find("pick")!.Path);
        Assert.Equal(Path.Combine(_dir, "20-dropins.conflist"), conf.Find("dropnet")!.Path);
        Assert.Null(conf.Find("nope"));
        Assert.Null(conf.Find("broken"));
    }

    [Fact]
    public void Load_BadFiles_AreReportedWithFilePositionAndReason()
    {
        WriteMixedDirectory();
        CniConfigDirectory conf = CniConfigDirectory.Load(_dir);

        Assert.Equal(
            ["00-broken.conflist", "05-noname.conflist", "10-future.conflist", "baddrop/1-bad.conf", "80-noplugins.conflist", "badname.conf"],
            conf.Skipped.Select(s => Path.GetRelativePath(_dir, s.Path)));

        SkippedConfigFile broken = conf.Skipped[0];
        Assert.Equal(CniErrorCode.DecodingFailure, broken.Code);
        Assert.Equal(3, broken.Line);
        Assert.Equal(34, broken.BytePositionInLine); // the "]" that should have been "}"
        Assert.StartsWith("network config list: invalid JSON at line 3, byte 34", broken.Reason, StringComparison.Ordinal);
        Assert.StartsWith(broken.Path + ":3:34: ", broken.ToString(), StringComparison.Ordinal);

        Assert.Equal((CniErrorCode.InvalidNetworkConfig, "name: required field is missing"), (conf.Skipped[1].Code, conf.Skipped[1].Reason));
        Assert.Null(conf.Skipped[1].Line);
        Assert.Equal(CniErrorCode.IncompatibleVersion, conf.Skipped[2].Code);
        Assert.Contains("9.0.0", conf.Skipped[2].Reason, StringComparison.Ordinal);
        Assert.StartsWith("plugin drop-in of network 'baddrop'", conf.Skipped[3].Reason, StringComparison.Ordinal);
        Assert.Contains("type: 'a/b' is not a plugin file name", conf.Skipped[3].Reason, StringComparison.Ordinal);
        Assert.StartsWith("plugins: network 'empty' has no plugins", conf.Skipped[4].Reason, StringComparison.Ordinal);
        Assert.StartsWith("name: 'bad name' is not a valid network name", conf.Skipped[5].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LogsEachSkippedFileAndTheDefault()
    {
        WriteMixedDirectory();
        var logger = new ListLogger();
        CniConfigDirectory conf = CniConfigDirectory.Load(_dir, logger);

        var skippedLogs = logger.Entries.Where(e => e.Id == 2001).ToList();
        Assert.Equal(conf.Skipped.Count, skippedLogs.Count);
        Assert.All(skippedLogs, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Contains(skippedLogs, e => e.Message.Contains("00-broken.conflist", StringComparison.Ordinal));
        Assert.Single(logger.Entries, e => e.Id == 2002 && e.Message == $"Default network is dropnet from {Path.Combine(_dir, "20-dropins.conflist")}");
        Assert.Equal(conf.Networks.Count, logger.Entries.Count(e => e.Id == 2000));
    }

    [Fact]
    public void Load_MissingOrEmptyDirectory_HasNoNetworks()
    {
        var logger = new ListLogger();
        string path = Path.Combine(_dir, "missing");
        CniConfigDirectory missing = CniConfigDirectory.Load(path, logger);
        Assert.Empty(missing.Networks);
        Assert.Null(missing.Default);
        Assert.False(missing.Exists);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal((2004, LogLevel.Warning, $"CNI conf dir {path} does not exist"), entry);
        CniConfigDirectory empty = CniConfigDirectory.Load(_dir);
        Assert.True(empty.Exists);
        Assert.Empty(empty.Networks);
        Assert.Empty(empty.Skipped);
    }

    [Fact]
    public void Load_BrokenOnlyThenValid_PicksTheNextValidFile()
    {
        Write("10-a.conflist", "");
        Write("20-b.conf", "{\"type\":\"bridge\",\"name\":\"b\",\"cniVersion\":\"1.0.0\"}\u0000");
        Write("30-c.conflist", """{"cniVersion":"1.0.0","name":"c","plugins":[{"type":"bridge"}]}""");
        CniConfigDirectory conf = CniConfigDirectory.Load(_dir);
        Assert.Equal("c", conf.Default!.Config.Name);
        Assert.Equal(2, conf.Skipped.Count);
    }

    private sealed class ListLogger : ILogger
    {
        public List<(int Id, LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((eventId.Id, logLevel, formatter(state, exception)));
    }
}
