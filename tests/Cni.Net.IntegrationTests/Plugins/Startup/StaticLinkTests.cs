using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.IntegrationTests.Kubelet;

namespace Cni.Net.IntegrationTests.Plugins.Startup;

/// <summary>
/// The published plugins and the plugin server's shim, started once per call, are linked statically
/// (CniNetStaticExecutable), as the Go plugins are: no dynamic loader runs at their start, so no shared library is opened.
/// </summary>
public sealed class StaticLinkTests
{
    private const uint ProgramInterpreter = 3; // PT_INTERP

    [Fact]
    public void PublishedPlugins_HaveNoProgramInterpreter_AndOpenNoSharedLibrary()
    {
        foreach (string plugin in StartupTrace.PublishedPlugins())
        {
            Assert.False(HasProgramHeader(plugin, ProgramInterpreter), $"{plugin}: dynamically linked (has PT_INTERP)");
            AssertNoSharedLibraryOpened(plugin, StartupTrace.Version(plugin, "trace=open,openat"));
        }
    }

    [Fact]
    public void TheShim_HasNoProgramInterpreter_AndOpensNoSharedLibrary()
    {
        string shim = Tool("cni-shim");
        Assert.False(HasProgramHeader(shim, ProgramInterpreter), $"{shim}: dynamically linked (has PT_INTERP)");
        // No server listens on this socket: the shim answers its "try again later" error, having started as it always does.
        string trace = Path.Combine(Path.GetTempPath(), $"cni-net-shim-{Guid.NewGuid():N}.trace");
        try
        {
            Shell.Output r = Shell.Run("strace", ["-f", "-qq", "-e", "trace=open,openat", "-o", trace, shim], """{"cniVersion":"1.0.0"}""",
                new Dictionary<string, string>
                {
                    ["CNI_COMMAND"] = "VERSION", ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin",
                    ["CNI_NET_PLUGIN_SERVER"] = Path.Combine(Path.GetTempPath(), $"cni-net-no-server-{Guid.NewGuid():N}.sock"),
                });
            Assert.True(r.ExitCode != 0 && r.StdOut.Contains("\"code\": 11", StringComparison.Ordinal), $"{r.StdOut}{r.StdErr}");
            AssertNoSharedLibraryOpened(shim, File.ReadAllLines(trace));
        }
        finally
        {
            File.Delete(trace);
        }
    }

    [Fact]
    public void AToolThatIsNotStartedPerCall_StaysDynamicallyLinked()
    {
        // The check above would pass on any file without the header; the server, long-lived, keeps the default.
        string server = Tool("cni-server");
        Assert.True(HasProgramHeader(server, ProgramInterpreter), $"{server}: expected a program interpreter");
    }

    private static void AssertNoSharedLibraryOpened(string executable, string[] opened)
    {
        Assert.DoesNotContain(opened, l => l.Contains(".so", StringComparison.Ordinal) && !l.Contains("\"/sys/", StringComparison.Ordinal));
        // The trace is not empty: the runtime still reads its own /proc and /sys entries.
        Assert.True(opened.Any(l => l.Contains("\"/proc/", StringComparison.Ordinal) || l.Contains("\"/sys/", StringComparison.Ordinal)),
            $"{executable}: {string.Join('\n', opened)}");
    }

    /// <summary>A tool eng/publish.sh put in artifacts/bin.</summary>
    private static string Tool(string name)
    {
        string path = Path.GetFullPath(Path.Combine(KubeletTestNode.OurPluginDir()!, "..", "..", "bin", name));
        Assert.True(File.Exists(path), $"{path}: not published (eng/publish.sh)");
        return path;
    }

    /// <summary>Whether the ELF64 executable has a program header of <paramref name="type"/>.</summary>
    private static bool HasProgramHeader(string path, uint type)
    {
        byte[] elf = File.ReadAllBytes(path);
        Assert.True(elf.Length > 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[4] == 2, $"{path}: not an ELF64 file");
        long offset = BitConverter.ToInt64(elf, 0x20);   // e_phoff
        int size = BitConverter.ToUInt16(elf, 0x36);     // e_phentsize
        int count = BitConverter.ToUInt16(elf, 0x38);    // e_phnum
        Assert.True(count > 0 && offset + (long)size * count <= elf.Length, $"{path}: bad program header table");
        for (int i = 0; i < count; i++)
        {
            if (BitConverter.ToUInt32(elf, (int)(offset + (long)i * size)) == type)
            {
                return true;
            }
        }
        return false;
    }
}
