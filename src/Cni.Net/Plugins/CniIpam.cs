using Cni.Net.Interop;
using System.Buffers;
using Cni.Net.Namespaces;
using Cni.Net.Spec;
using Cni.Net.Processes;

namespace Cni.Net.Plugins;

/// <summary>
/// IPAM delegation for plugin authors: runs the plugin named by the config's <c>ipam.type</c>, found on CNI_PATH,
/// with the same environment (only CNI_COMMAND changes) and the whole config on stdin — as the Go <c>ipam</c> package
/// does, but with a timeout that kills the IPAM plugin's process group. When ADD fails after
/// <see cref="AddAsync"/> succeeded, <see cref="CniPluginHost"/> releases the allocation (IPAM DEL) before it reports
/// the error. When the delegating plugin runs in-process (in the chain executor or the plugin server) and the IPAM
/// plugin is registered there too, the IPAM plugin runs in-process through the same host — same environment, stdin,
/// result parsing and error codes, same on-disk store — instead of being exec'd. A plugin process runs a delegate in-process
/// only when it has the delegate's handler compiled in and the binary found on CNI_PATH is of its own build
/// (<see cref="CniPluginHostOptions.SameBuildDelegates"/>).
/// </summary>
public static class CniIpam
{
    private const int MaxOutputBytes = 16 * 1024 * 1024;

    /// <summary>IPAM ADD: allocates and returns the addresses (in the IPAM plugin's result version).</summary>
    /// <remarks>
    /// The IPAM plugin is started before this method returns, so a plugin may set up its links while IPAM runs and
    /// await the result afterwards. Always await the returned task, also when that other work fails: in a plugin
    /// process the delegate is collected (and the allocation recorded for release) only then. When the plugin had it
    /// started before its configuration was read (<see cref="CniPlugin{TConfig}.StartsIpamBeforeRead"/>), the first
    /// call returns that run.
    /// </remarks>
    /// <exception cref="CniException">The config has no <c>ipam.type</c> (code 7), the plugin is missing, fails or times out.</exception>
    public static ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.EarlyIpamAdd is { } early)
        {
            request.EarlyIpamAdd = null;
            return early;
        }
        string type = IpamType(request);
        CniVersion version = request.CniVersion;
        return RunAsync(request, type, "ADD", (exit, stdout, stderr) =>
        {
            CniResult result = PluginOutputParser.ReadResult(exit, stdout, stderr, type, version);
            request.AllocatedIpamType = type;
            return result;
        }, cancellationToken);
    }

    /// <summary>
    /// Starts IPAM ADD ahead of the handler, when the IPAM plugin would be exec'd (an in-process delegate gains nothing
    /// from starting sooner): the next <see cref="AddAsync"/> for this request returns this run.
    /// </summary>
    /// <returns>Whether a run was started (the config names an IPAM type and its plugin is exec'd).</returns>
    internal static bool TryStartEarly(CniPluginRequest request, CancellationToken cancellationToken)
    {
        if (request.EarlyIpamAdd is not null || request.Config.Ipam is not { } ipam ||
            !CniJsonKeys.TryGetString(ipam, "type", out string? type) || type.Length == 0)
        {
            return false;
        }
        try
        {
            if (InProcess(request, type) is not null)
            {
                return false;
            }
            // Consumed once: by the handler's AddAsync, or by CniPlugin when the handler never asks.
#pragma warning disable CA2012
            request.EarlyIpamAdd = AddAsync(request, cancellationToken);
#pragma warning restore CA2012
        }
        catch (Exception e) when (e is CniException or IOException)
        {
            // Not started (no such plugin on CNI_PATH, say): the handler's own AddAsync meets it again, after the
            // configuration has been read, so a configuration error is still the one reported first.
            return false;
        }
        return true;
    }

    /// <summary>
    /// IPAM ADD for a plugin that gives the pod one interface (macvlan, tap, host-device, ptp): allocates as
    /// <see cref="AddAsync"/> does, requires at least one address, and adds the addresses — each attributed to
    /// <paramref name="interfaceIndex"/> in <paramref name="result"/>'s interfaces — and the routes to
    /// <paramref name="result"/>. The IPAM result's DNS is not copied: take it from the returned IPAM result if the plugin answers with it.
    /// </summary>
    /// <param name="request">The plugin's request.</param>
    /// <param name="result">The result being built; its IPs and routes are appended to.</param>
    /// <param name="interfaceIndex">The index of the pod's interface in <c>result.Interfaces</c>.</param>
    /// <param name="cancellationToken">Cancels the IPAM plugin (its process group is killed).</param>
    /// <returns>The IPAM plugin's own result.</returns>
    /// <exception cref="CniException">As <see cref="AddAsync"/>; or the IPAM plugin returned no address (code 5).</exception>
    public static async ValueTask<CniResult> AddToResultAsync(CniPluginRequest request, CniResult result, int interfaceIndex,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        CniResult ipam = await AddAsync(request, cancellationToken).ConfigureAwait(false);
        if (ipam.IPs.Count == 0)
        {
            throw new CniException(CniErrorCode.IOFailure, "IPAM plugin returned missing IP config");
        }
        foreach (CniIPConfig ip in ipam.IPs)
        {
            CniIPConfig copy = ip.Clone();
            copy.Interface = interfaceIndex;
            result.IPs.Add(copy);
        }
        foreach (CniRoute route in ipam.Routes)
        {
            result.Routes.Add(route);
        }
        return ipam;
    }

    /// <summary>IPAM DEL: releases what ADD allocated for this container and interface.</summary>
    /// <remarks>Started before this method returns (see <see cref="AddAsync"/>); always await the returned task.</remarks>
    public static ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken = default) =>
        RunWithoutResultAsync(request, "DEL", cancellationToken);

    /// <summary>IPAM CHECK.</summary>
    public static ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken = default) =>
        RunWithoutResultAsync(request, "CHECK", cancellationToken);

    /// <summary>IPAM STATUS.</summary>
    public static ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken = default) =>
        RunWithoutResultAsync(request, "STATUS", cancellationToken);

    /// <summary>IPAM GC (the config, with its valid attachments, is passed on unchanged).</summary>
    public static ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken = default) =>
        RunWithoutResultAsync(request, "GC", cancellationToken);

    private static ValueTask RunWithoutResultAsync(CniPluginRequest request, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string type = IpamType(request);
        PluginOutputHandler<bool> handler = (exit, stdout, stderr) =>
        {
            PluginOutputParser.ReadNothing(exit, stdout, stderr, type);
            if (command == "DEL")
            {
                request.AllocatedIpamType = null;
            }
            return true;
        };
        if (InProcess(request, type) is { } plugin)
        {
            return IgnoreResultAsync(StartInProcess(request, plugin, type, command, handler, cancellationToken));
        }
        PluginLaunch launch = Launch(request, type, command);
        return request.BlockingDelegation
            ? BlockingPluginRunner.Start(launch, handler, request.Logger, cancellationToken).AsValueTaskWithoutResult()
            : IgnoreResultAsync(PluginProcessRunner.RunAsync(launch, handler, request.Logger, cancellationToken));
    }

    private static async ValueTask IgnoreResultAsync(ValueTask<bool> run) => await run.ConfigureAwait(false);

    private static ValueTask<T> RunAsync<T>(CniPluginRequest request, string type, string command, PluginOutputHandler<T> handler,
        CancellationToken cancellationToken)
    {
        if (InProcess(request, type) is { } plugin)
        {
            return StartInProcess(request, plugin, type, command, handler, cancellationToken);
        }
        PluginLaunch launch = Launch(request, type, command);
        return request.BlockingDelegation
            ? BlockingPluginRunner.Start(launch, handler, request.Logger, cancellationToken).AsValueTask()
            : PluginProcessRunner.RunAsync(launch, handler, request.Logger, cancellationToken);
    }

    private static ICniPlugin? InProcess(CniPluginRequest request, string type) => Resolve(request, type).InProcess;

    // Where a delegation to `type` goes, decided once per request: a plugin the host runs in-process (registered by
    // the executor or the server), the same plugin compiled into this program when CNI_PATH's binary for the type is
    // of this build, or else that binary. CNI_PATH is searched once, so the decision and the exec name one file.
    private static (string Type, string? Path, ICniPlugin? InProcess) Resolve(CniPluginRequest request, string type)
    {
        if (request.Delegate is { } known && known.Type == type)
        {
            return known;
        }
        CniPluginHostOptions? options = request.HostOptions;
        (string, string?, ICniPlugin?) target;
        if (options?.DelegatePlugins is { } registered && registered.TryGetValue(type, out ICniPlugin? plugin))
        {
            target = (type, null, plugin);
        }
        else
        {
            string path = CniPluginLocator.Find(type, request.Path);
            target = options?.SameBuildDelegates is { } compiledIn && compiledIn.TryGetValue(type, out plugin) &&
                PluginBuildStamp.IsSameBuild(path, options.BuildImage)
                ? (type, path, plugin)
                : (type, path, null);
        }
        request.Delegate = target;
        return target;
    }

    // The exec'd delegate's contract in memory: the same environment (only CNI_COMMAND changes) and stdin, its stdout
    // and exit code read by the same handler, the same timeout. In a plugin process it is told so (its own delegations
    // block, ProcessOutlivesRequest is false), as its own process would be.
    // It runs on another thread, as an exec'd one runs in a process of its own, so that the caller's work overlaps it as
    // documented (bridge makes its links meanwhile: 0.3–0.5 ms of an in-process chain ADD were host-local's, run before
    // them), in the calling thread's network namespace, where it ran until now.
    private static async ValueTask<T> StartInProcess<T>(CniPluginRequest request, ICniPlugin plugin, string type, string command,
        PluginOutputHandler<T> handler, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>(request.RawEnvironment, StringComparer.Ordinal) { ["CNI_COMMAND"] = command };
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // In a plugin process the thread waiting for the plugin keeps the deadline: a timer would start a thread.
        ProcessDeadlines? deadlines = request.ProcessOutlivesRequest ? null : request.ProcessDeadlines;
        TaskCompletionSource? expired = deadlines is null ? null : new TaskCompletionSource();
        using ProcessDeadlines.Registration deadline = deadlines?.Arm(request.DelegationTimeout, () =>
        {
            try
            {
                limit.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The delegate finished as the deadline came, and this method is past its wait.
            }
            expired!.TrySetResult();
        }) ?? default;
        if (deadlines is null)
        {
            limit.CancelAfter(request.DelegationTimeout);
        }
        Task<CniPluginOutcome> invocation = NetworkNamespace.StartInCurrent(() => CniPluginHost.InvokeAsync(plugin, environment,
            request.StdinData, request.HostOptions!, limit.Token, request.BlockingDelegation, request.ProcessLog?.CreateLogger(type),
            request.ProcessLog, request.ProcessDeadlines).AsTask());
        CniPluginOutcome outcome;
        if (request.ProcessOutlivesRequest)
        {
            outcome = await invocation.ConfigureAwait(false);
        }
        else if (expired is not null)
        {
            // As below: the process stops waiting at the deadline, and the delegate's thread ends with the process.
            using CancellationTokenRegistration cancelled = cancellationToken.UnsafeRegister(
                static state => ((TaskCompletionSource)state!).TrySetResult(), expired);
            if (await Task.WhenAny(invocation, expired.Task).ConfigureAwait(false) != invocation)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw TimedOut(request, type, new TimeoutException());
            }
            outcome = await invocation.ConfigureAwait(false);
        }
        else
        {
            // A plugin process stops waiting when it would stop waiting for the exec'd delegate, whose process group it
            // would kill: the delegate's thread, blocked in the store's lock say, ends with the process.
            try
            {
                outcome = await invocation.WaitAsync(request.DelegationTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException e)
            {
                throw TimedOut(request, type, e);
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (limit.IsCancellationRequested && outcome.ExitCode != 0)
        {
            throw TimedOut(request, type, new TimeoutException());
        }
        return handler(new ChildExit(outcome.ExitCode, 0), new ReadOnlySequence<byte>(outcome.Stdout), string.Empty);
    }

    private static CniException TimedOut(CniPluginRequest request, string type, TimeoutException inner) =>
        new(CniErrorCode.IOFailure, $"plugin '{type}' did not finish within {request.DelegationTimeout.TotalSeconds:0.###} s", null, inner);

    private static PluginLaunch Launch(CniPluginRequest request, string type, string command)
    {
        string path = Resolve(request, type).Path!;
        var environment = new List<string>(request.RawEnvironment.Count + 1);
        foreach (var (key, value) in request.RawEnvironment)
        {
            if (key != "CNI_COMMAND")
            {
                environment.Add($"{key}={value}");
            }
        }
        environment.Add("CNI_COMMAND=" + command);
        return new PluginLaunch(path, type, environment, request.StdinData, request.DelegationTimeout, MaxOutputBytes);
    }

    private static string IpamType(CniPluginRequest request)
    {
        if (request.Config.Ipam is not { } ipam || !CniJsonKeys.TryGetString(ipam, "type", out string? type) ||
            type.Length == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "ipam.type: required for IPAM delegation");
        }
        return type;
    }
}
