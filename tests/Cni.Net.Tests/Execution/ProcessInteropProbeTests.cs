using System.Diagnostics;
using Cni.Net.Execution;
using Cni.Net.Interop;

namespace Cni.Net.Tests.Execution;

/// <summary>The posix_spawn sizes and constants ProcessInterop declares, checked against the C headers by a probe.</summary>
public class ProcessInteropProbeTests
{
    [Fact]
    public void Constants_MatchSpawnAndSignalHeaders()
    {
        string dir = Directory.CreateTempSubdirectory("cni-probe-").FullName;
        try
        {
            string source = Path.Combine(dir, "probe.c");
            File.WriteAllText(source, """
                #include <spawn.h>
                #include <signal.h>
                #include <errno.h>
                #include <fcntl.h>
                #include <stdio.h>
                int main(void) {
                    printf("%zu %zu %zu %d %d %d %d %d %d %d %d %d %d %d\n",
                        sizeof(posix_spawn_file_actions_t), sizeof(posix_spawnattr_t), sizeof(sigset_t),
                        POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK,
                        ENOENT, EINTR, EACCES, ETXTBSY, ESRCH, ECHILD, SIGKILL, O_CLOEXEC);
                    return 0;
                }
                """);
            string exe = Path.Combine(dir, "probe");
            Run("gcc", "-o", exe, source);
            string[] v = Run(exe).Trim().Split(' ');
            Assert.Equal(
                [ProcessInterop.FileActionsSize, ProcessInterop.SpawnAttrSize, ProcessInterop.SigSetSize,
                 ProcessInterop.POSIX_SPAWN_SETPGROUP, ProcessInterop.POSIX_SPAWN_SETSIGDEF, ProcessInterop.POSIX_SPAWN_SETSIGMASK,
                 Errno.ENOENT, Errno.EINTR, Errno.EACCES, Errno.ETXTBSY, Errno.ESRCH,
                 Errno.ECHILD, ProcessInterop.SIGKILL, ProcessInterop.O_CLOEXEC],
                v.Select(int.Parse));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string Run(string file, params string[] args)
    {
        using Process p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {error}");
        return output;
    }
}
