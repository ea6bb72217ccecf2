using Cni.Net.Spec;
using Microsoft.Extensions.Logging;

namespace Cni.Net.Plugins.Server;

/// <summary>
/// The shim side of <see cref="CniPluginServer"/>: forwards this process's CNI invocation (its whole environment and
/// stdin) to the server and prints the server's stdout and exits with its exit code, exactly as the plugin would.
/// <c>static int Main() =&gt; CniPluginClient.Run("bridge");</c>
/// </summary>
public static class CniPluginClient
{
    /// <summary>The socket path used when none is configured.</summary>
    public const string DefaultSocketPath = "/run/cni-net/plugin-server.sock";

    /// <summary>The environment variable that overrides the socket path for a shim.</summary>
    public const string SocketPathVariable = "CNI_NET_PLUGIN_SERVER";

    /// <summary>
    /// Forwards the invocation to the server for <paramref name="pluginType"/>. When no server listens (or the
    /// connection breaks before the answer), runs <paramref name="fallback"/> in this process if given, else prints a
    /// CNI error with code 11 ("try again later") and exits 1.
    /// </summary>
    /// <param name="pluginType">The plugin type the server serves this invocation with.</param>
    /// <param name="socketPath">The server's socket; default: <see cref="SocketPathVariable"/>, else <see cref="DefaultSocketPath"/>.</param>
    /// <param name="fallback">The handler to run here when the server is down; null: answer code 11.</param>
    /// <param name="options">Host options for the fallback.</param>
    /// <returns>The process exit code.</returns>
    public static int Run(string pluginType, string? socketPath = null, ICniPlugin? fallback = null, CniPluginHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pluginType);
        Namespaces.NetworkNamespace.StartsOwnThreads = true;
        Interop.DetachedProcess.ProcessExitsAfterRequest = true;
        Interop.DetachedProcess.OptedOut = !CniPluginHost.DetachedCleanupAllowed();
        socketPath ??= Environment.GetEnvironmentVariable(SocketPathVariable) is { Length: > 0 } p ? p : DefaultSocketPath;
        Dictionary<string, string> environment = CniPluginHost.ProcessEnvironment();
        // A shim built with CniNetShimEntry has already tried to forward the invocation before the runtime started;
        // it is here because it could not, and may have read stdin.
        ShimHandoff.State handoff = ShimHandoff.Take();
        byte[] stdin;
        try
        {
            stdin = handoff.Reason == ShimHandoff.Reason.StdinFailed
                ? throw new IOException($"reading stdin failed: errno {handoff.Error}", handoff.Error)
                : handoff.Stdin ?? PluginStdio.ReadStdin();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"CNI plugin shim: {e.Message}");
            return 1;
        }
        (int exit, byte[] stdout) = handoff.BrokenMessage is { } broken
            ? Dropped(broken, stdin)
            : Forward(socketPath, pluginType, environment, stdin, fallback, options);
        try
        {
            PluginStdio.WriteStdout(stdout);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"CNI plugin shim: {e.Message}");
            return 1;
        }
        // After a fallback that deleted rules here, as a plugin process does.
        CniPluginHost.ReleaseAfterExit();
        return exit;
    }

    /// <summary>
    /// Forwards the invocation to a server whose socket the invocation's own config names (the way the reference
    /// <c>dhcp</c> plugin finds its daemon through <c>ipam.daemonSocketPath</c>). A relative <c>CNI_NETNS</c> is made
    /// absolute first, since the server runs in another directory. When no server listens, prints a CNI error with
    /// code 11 naming <paramref name="serverName"/> and exits 1.
    /// </summary>
    /// <param name="pluginType">The plugin type the server serves this invocation with.</param>
    /// <param name="socketPathFromConfig">Reads the socket path from stdin; a <see cref="CniException"/> it throws is printed as the answer.</param>
    /// <param name="serverName">How the error names the server when it is not running ("the DHCP daemon").</param>
    /// <returns>The process exit code.</returns>
    public static int Run(string pluginType, Func<byte[], string> socketPathFromConfig, string serverName)
    {
        ArgumentNullException.ThrowIfNull(pluginType);
        ArgumentNullException.ThrowIfNull(socketPathFromConfig);
        ArgumentNullException.ThrowIfNull(serverName);
        Dictionary<string, string> environment = CniPluginHost.ProcessEnvironment();
        if (environment.TryGetValue("CNI_NETNS", out string? netns) && netns.Length > 0 && !Path.IsPathRooted(netns))
        {
            environment["CNI_NETNS"] = Path.GetFullPath(netns);
        }
        byte[] stdin;
        try
        {
            stdin = PluginStdio.ReadStdin();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"CNI plugin shim: {e.Message}");
            return 1;
        }
        int exit;
        byte[] stdout;
        try
        {
            (exit, stdout) = Forward(socketPathFromConfig(stdin), pluginType, environment, stdin, null, null, serverName);
        }
        catch (CniException e)
        {
            CniPluginOutcome error = CniPluginHost.Failure(e, stdin);
            (exit, stdout) = (error.ExitCode, error.Stdout);
        }
        try
        {
            PluginStdio.WriteStdout(stdout);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"CNI plugin shim: {e.Message}");
            return 1;
        }
        return exit;
    }

    /// <summary>One forwarded invocation: exit code and stdout (what <c>Run</c> prints).</summary>
    internal static (int ExitCode, byte[] Stdout) Forward(string socketPath, string pluginType, IReadOnlyDictionary<string, string> environment,
        byte[] stdin, ICniPlugin? fallback, CniPluginHostOptions? options, string serverName = "the CNI plugin server")
    {
        UnixStreamClient? socket;
        try
        {
            socket = UnixStreamClient.TryConnect(socketPath);
        }
        catch (IOException e)
        {
            // A path that cannot be a unix socket address, or no socket at all: an answer the runtime can show.
            CniPluginOutcome unusable = CniPluginHost.Failure(
                new CniException(CniErrorCode.TryAgainLater, $"{serverName} cannot be reached: {e.Message}"), stdin);
            return (unusable.ExitCode, unusable.Stdout);
        }
        string? broken = null;
        if (socket is not null)
        {
            using (socket)
            {
                try
                {
                    socket.Send(PluginServerProtocol.EncodeRequest(pluginType, environment, stdin));
                    return PluginServerProtocol.ReadResponse(socket);
                }
                catch (Exception e) when (e is IOException or InvalidDataException)
                {
                    broken = e.Message;
                }
            }
        }
        if (fallback is not null && broken is null)
        {
            var env = new Dictionary<string, string>(environment, StringComparer.Ordinal);
            options ??= new CniPluginHostOptions();
            using CniLogProvider? logs = CniPluginHost.OpenProcessLog(options, env, stdin, out ILogger? logger);
            CniPluginOutcome outcome = CniPluginHost.InvokeAsPluginProcess(fallback, env, stdin, options, logger, logs);
            return (outcome.ExitCode, outcome.Stdout);
        }
        if (broken is not null)
        {
            return Dropped(broken, stdin, serverName);
        }
        string message = $"{serverName} is not running (no listener on {socketPath}); try again later";
        CniPluginOutcome error = CniPluginHost.Failure(new CniException(CniErrorCode.TryAgainLater, message), stdin);
        return (error.ExitCode, error.Stdout);
    }

    // The server died or restarted mid-request: whether it applied anything is unknown, so the runtime must retry (CNI
    // ADD and DEL are safe to repeat); the handler is not run here.
    private static (int ExitCode, byte[] Stdout) Dropped(string broken, byte[] stdin, string serverName = "the CNI plugin server")
    {
        string message = $"{serverName} dropped the request ({broken}); try again later";
        CniPluginOutcome error = CniPluginHost.Failure(new CniException(CniErrorCode.TryAgainLater, message), stdin);
        return (error.ExitCode, error.Stdout);
    }
}
