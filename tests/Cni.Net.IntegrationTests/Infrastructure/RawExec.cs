using System.Text;

namespace Cni.Net.IntegrationTests.Infrastructure;

/// <summary>
/// Starts a program the way no runtime would but a test must: with exactly the environment given (raw bytes, in
/// order, duplicates allowed) and its standard streams set up as the mode says. Stdin is passed through.
/// </summary>
internal static class RawExec
{
    /// <summary>How the started program's standard streams are set up.</summary>
    public enum Mode
    {
        /// <summary>As the test passes them (stdin, stdout and stderr pipes).</summary>
        Plain,
        /// <summary>Stdin closed.</summary>
        NoStdin,
        /// <summary>Stdout closed.</summary>
        NoStdout,
        /// <summary>Stdout a pipe whose reading end is closed (EPIPE, SIGPIPE).</summary>
        BrokenPipe,
    }

    private const string Launcher = """
        import ctypes, os, sys
        mode, args = sys.argv[1], sys.argv[2:]
        split = args.index("--")
        entries = [bytes.fromhex(h) for h in args[:split]]
        cmd = [a.encode() for a in args[split + 1:]]
        if mode == "NoStdin":
            os.close(0)
        elif mode == "NoStdout":
            os.close(1)
        elif mode == "BrokenPipe":
            r, w = os.pipe()
            os.dup2(w, 1)
            os.close(r)
            os.close(w)
        libc = ctypes.CDLL(None, use_errno=True)
        argv = (ctypes.c_char_p * (len(cmd) + 1))(*cmd, None)
        envp = (ctypes.c_char_p * (len(entries) + 1))(*entries, None)
        libc.execve(cmd[0], argv, envp)
        sys.exit(f"execve: {os.strerror(ctypes.get_errno())}")
        """;

    /// <summary>Runs <paramref name="command"/> (an absolute path first) with environment entries given as text.</summary>
    public static Shell.Output Run(Mode mode, IEnumerable<string> env, string? stdin, params string[] command) =>
        Run(mode, env.Select(Encoding.UTF8.GetBytes).ToList(), stdin, command);

    /// <summary>Runs <paramref name="command"/> (an absolute path first) with environment entries given as bytes.</summary>
    public static Shell.Output Run(Mode mode, List<byte[]> env, string? stdin, params string[] command) =>
        Shell.Run("python3", ["-c", Launcher, mode.ToString(), .. env.Select(Convert.ToHexString), "--", .. command], stdin ?? "",
            timeout: TimeSpan.FromSeconds(30));
}
