using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Cni.Net.Tests.Packaging;

/// <summary>
/// What a new user does first: the package, restored from a local folder feed (no network source) into a fresh project
/// outside the repository, builds the plugin of docs/examples/PassThroughPlugin and a <c>[CniConfig]</c> record (the
/// package's generator writes its reader), publishes it NativeAOT with zero warnings and the package's fast start-up
/// settings, and the binary answers the CNI protocol.
/// </summary>
public sealed class PackAndConsumeTests : IDisposable
{
    // A version of its own per run, so that the global packages folder never serves a stale copy; removed afterwards.
    private readonly string _version = $"0.9.0-test.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
    private readonly string _work = Directory.CreateTempSubdirectory("cni-consume-").FullName;

    public void Dispose()
    {
        Directory.Delete(_work, recursive: true);
        string cached = Path.Combine(GlobalPackagesFolder(), "cni.net", _version);
        if (Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }
    }

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cni.Net.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Cni.Net.sln not found above " + AppContext.BaseDirectory);
    }

    private static (int Exit, string Output) Run(string file, IEnumerable<string> args, string workingDirectory,
        TimeSpan timeout, IDictionary<string, string>? environment = null, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        using Process p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish within {timeout.TotalMinutes} min");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void PackedLibrary_FromLocalFeed_PublishesDocsPluginNativeAot_WithoutWarnings()
    {
        string root = RepositoryRoot();
        string feed = Directory.CreateDirectory(Path.Combine(_work, "feed")).FullName;
        string app = Directory.CreateDirectory(Path.Combine(_work, "passthrough")).FullName;

        var pack = Run("dotnet", ["pack", Path.Combine(root, "src", "Cni.Net", "Cni.Net.csproj"), "-c", "Release", "--no-build",
            "-nologo", "-o", feed, $"-p:PackageVersion={_version}"], root, TimeSpan.FromMinutes(3));
        Assert.True(pack.Exit == 0, pack.Output);

        // Only the folder feed: anything else must already be in the global packages folder (the SDK's ILCompiler).
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "passthrough.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <PublishAot>true</PublishAot>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Cni.Net" Version="{_version}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(Path.Combine(root, "docs", "examples", "PassThroughPlugin", "Program.cs"), Path.Combine(app, "Program.cs"));
        // A [CniConfig] record: ReadCniConfig exists only if the package's generator ran in this build.
        File.WriteAllText(Path.Combine(app, "ConsumerConfig.cs"), """
            using System.Text.Json.Nodes;
            using Cni.Net.Plugins;

            [CniConfig]
            internal sealed partial record ConsumerConfig
            {
                public int Mtu { get; init; } = 1500;
                public IReadOnlyList<string>? Subnets { get; init; }
            }

            internal static class ConsumerConfigCheck
            {
                internal static Func<JsonObject, ConsumerConfig> Reader => ConsumerConfig.ReadCniConfig;
            }
            """);

        var restore = Run("dotnet", ["restore", "passthrough.csproj", "-nologo"], app, TimeSpan.FromMinutes(3));
        Assert.True(restore.Exit == 0, restore.Output);

        // The package's buildTransitive switch is on by default and gives the samples' settings.
        var props = Run("dotnet", ["msbuild", "passthrough.csproj", "-nologo", "-getProperty:CniNetFastStartup",
            "-getProperty:IlcDehydrate", "-getProperty:InvariantGlobalization", "-getProperty:ConcurrentGarbageCollection", "-getProperty:PositionIndependentExecutable", "-getItem:DirectPInvoke"], app, TimeSpan.FromMinutes(3));
        Assert.True(props.Exit == 0, props.Output);
        string json = props.Output[props.Output.IndexOf('{', StringComparison.Ordinal)..];
        using (JsonDocument d = JsonDocument.Parse(json))
        {
            JsonElement p = d.RootElement.GetProperty("Properties");
            Assert.Equal(("true", "false", "true", "false", "false"), (p.GetProperty("CniNetFastStartup").GetString(),
                p.GetProperty("IlcDehydrate").GetString(), p.GetProperty("InvariantGlobalization").GetString(),
                p.GetProperty("ConcurrentGarbageCollection").GetString(), p.GetProperty("PositionIndependentExecutable").GetString()));
            Assert.Equal(["libc", "libc.so.6"], d.RootElement.GetProperty("Items").GetProperty("DirectPInvoke")
                .EnumerateArray().Select(i => i.GetProperty("Identity").GetString()).Order(StringComparer.Ordinal));
        }
        // Static linking is opt-in (CniNetStaticExecutable), for glibc targets only, with GNU objcopy for the stripping.
        foreach ((string[] extra, string expected) in new[]
        {
            (new[] { "-p:RuntimeIdentifier=linux-x64" }, ("", "")),
            (new[] { "-p:RuntimeIdentifier=linux-x64", "-p:CniNetStaticExecutable=true" }, ("true", "objcopy")),
            (new[] { "-p:RuntimeIdentifier=linux-musl-x64", "-p:CniNetStaticExecutable=true" }, ("", "")),
        }.Select(c => (c.Item1, $"{c.Item2.Item1}|{c.Item2.Item2}")))
        {
            var linking = Run("dotnet", ["msbuild", "passthrough.csproj", "-nologo", "-getProperty:StaticExecutable", "-getProperty:ObjCopyName", .. extra],
                app, TimeSpan.FromMinutes(3));
            Assert.True(linking.Exit == 0, linking.Output);
            using JsonDocument d = JsonDocument.Parse(linking.Output[linking.Output.IndexOf('{', StringComparison.Ordinal)..]);
            JsonElement p = d.RootElement.GetProperty("Properties");
            Assert.Equal(expected, $"{p.GetProperty("StaticExecutable").GetString()}|{p.GetProperty("ObjCopyName").GetString()}");
        }

        // The shim's entry point is opt-in (CniNetShimEntry) and x86_64 only: elsewhere nothing is linked.
        foreach ((string rid, bool linked) in new[] { ("linux-x64", true), ("linux-arm64", false) })
        {
            var entry = Run("dotnet", ["msbuild", "passthrough.csproj", "-nologo", "-getItem:DirectPInvoke", "-getItem:RuntimeHostConfigurationOption",
                $"-p:RuntimeIdentifier={rid}", "-p:CniNetShimEntry=true"], app, TimeSpan.FromMinutes(3));
            Assert.True(entry.Exit == 0, entry.Output);
            using JsonDocument d = JsonDocument.Parse(entry.Output[entry.Output.IndexOf('{', StringComparison.Ordinal)..]);
            JsonElement items = d.RootElement.GetProperty("Items");
            Assert.Equal(linked, items.GetProperty("DirectPInvoke").EnumerateArray().Any(i => i.GetProperty("Identity").GetString() == "cni-net-shim"));
            Assert.Equal(linked, items.TryGetProperty("RuntimeHostConfigurationOption", out JsonElement options)
                && options.EnumerateArray().Any(i => i.GetProperty("Identity").GetString() == "Cni.Net.Plugins.Server.ShimEntry"));
        }

        var publish = Run("dotnet", ["publish", "passthrough.csproj", "-c", "Release", "-r", "linux-x64", "-nologo", "-o", "out", "-clp:Summary"],
            app, TimeSpan.FromMinutes(8));
        Assert.True(publish.Exit == 0, publish.Output);
        Assert.Contains("0 Warning(s)", publish.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(": warning ", publish.Output, StringComparison.OrdinalIgnoreCase);

        string plugin = Path.Combine(app, "out", "passthrough");
        // Linked at a fixed address: the ELF header's e_type is ET_EXEC (2), not ET_DYN (3) as a PIE's is.
        byte[] header = new byte[18];
        using (FileStream f = File.OpenRead(plugin))
        {
            f.ReadExactly(header);
        }
        Assert.Equal(2, BitConverter.ToUInt16(header, 16));
        var version = Run(plugin, [], app, TimeSpan.FromSeconds(30), new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" },
            """{"cniVersion":"1.0.0"}""");
        Assert.Equal(0, version.Exit);
        Assert.Contains("\"supportedVersions\"", version.Output, StringComparison.Ordinal);
        // No cgroup probe at start (CniNetNoCgroupProbe, on by default): the runtime never opens /proc/self/mountinfo.
        string trace = Path.Combine(_work, "version.trace");
        var traced = Run("strace", ["-f", "-qq", "-e", "trace=open,openat", "-o", trace, plugin], app, TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }, """{"cniVersion":"1.0.0"}""");
        Assert.True(traced.Exit == 0, traced.Output);
        string opened = File.ReadAllText(trace);
        Assert.DoesNotContain("/proc/self/mountinfo", opened, StringComparison.Ordinal);
        // Nor the CPU cache sizes (CniNetNoCacheSizeProbe, following CniNetNoCgroupProbe).
        Assert.DoesNotContain("/sys/devices/system/cpu/cpu0/cache/", opened, StringComparison.Ordinal);
        Assert.Contains("openat(", opened, StringComparison.Ordinal);
        // The GC reserves 1 GiB for its heap (CniNetGCRegionRange, on by default), not the runtime's default range.
        string maps = Path.Combine(_work, "version-mmap.trace");
        var mapped = Run("strace", ["-f", "-qq", "-e", "trace=mmap", "-o", maps, plugin], app, TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }, """{"cniVersion":"1.0.0"}""");
        Assert.True(mapped.Exit == 0, mapped.Output);
        long largest = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(maps), @"mmap\(NULL, (\d+), PROT_NONE, MAP_PRIVATE\|MAP_ANONYMOUS")
            .Select(m => long.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
        Assert.InRange(largest, 1L << 30, (1L << 30) + (1 << 20));

        // DEL needs no namespace: a full round trip through the host, with the exit code and empty stdout of success.
        var del = Run(plugin, [], app, TimeSpan.FromSeconds(30), new Dictionary<string, string>
        {
            ["CNI_COMMAND"] = "DEL", ["CNI_CONTAINERID"] = "ctr1", ["CNI_IFNAME"] = "eth0", ["CNI_PATH"] = "/opt/cni/bin",
        }, """{"cniVersion":"1.0.0","name":"n","type":"passthrough"}""");
        Assert.Equal((0, ""), del);
    }
}
