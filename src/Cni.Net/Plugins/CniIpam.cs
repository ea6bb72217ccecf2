using Cni.Net.Execution;
using Cni.Net.Spec;

namespace Cni.Net.Plugins;

/// <summary>
/// IPAM delegation for plugin authors: runs the plugin named by the config's <c>ipam.type</c>, found on CNI_PATH,
/// with the same environment (only CNI_COMMAND changes) and the whole config on stdin — as the Go <c>ipam</c> package
/// does, but with a timeout that kills the IPAM plugin's process group. When ADD fails after
/// <see cref="AddAsync"/> succeeded, <see cref="CniPluginHost"/> releases the allocation (IPAM DEL) before it reports
/// the error.
/// </summary>
public static class CniIpam
{
    private const int MaxOutputBytes = 16 * 1024 * 1024;

    /// <summary>IPAM ADD: allocates and returns the addresses (in the IPAM plugin's result version).</summary>
    /// <exception cref="CniException">The config has no <c>ipam.type</c> (code 7), the plugin is missing, fails or times out.</exception>
    public static async ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string type = IpamType(request);
        CniVersion version = request.CniVersion;
        CniResult result = await RunAsync(request, type, "ADD",
            (exit, stdout, stderr) => PluginOutputParser.ReadResult(exit, stdout, stderr, type, version),
            cancellationToken).ConfigureAwait(false);
        request.AllocatedIpamType = type;
        return result;
    }

    /// <summary>IPAM DEL: releases what ADD allocated for this container and interface.</summary>
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

    private static async ValueTask RunWithoutResultAsync(CniPluginRequest request, string command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string type = IpamType(request);
        await RunAsync(request, type, command,
            (exit, stdout, stderr) => PluginOutputParser.ReadNothing(exit, stdout, stderr, type),
            cancellationToken).ConfigureAwait(false);
        if (command == "DEL")
        {
            request.AllocatedIpamType = null;
        }
    }

    private static ValueTask<T> RunAsync<T>(CniPluginRequest request, string type, string command, PluginOutputHandler<T> handler,
        CancellationToken cancellationToken)
    {
        string path = CniPluginLocator.Find(type, request.Path);
        var environment = new List<string>(request.RawEnvironment.Count + 1);
        foreach (var (key, value) in request.RawEnvironment)
        {
            if (key != "CNI_COMMAND")
            {
                environment.Add($"{key}={value}");
            }
        }
        environment.Add("CNI_COMMAND=" + command);
        var launch = new PluginLaunch(path, type, environment, request.StdinData, request.DelegationTimeout, MaxOutputBytes);
        return request.BlockingDelegation
            ? ValueTask.FromResult(BlockingPluginRunner.Run(launch, handler, request.Logger, cancellationToken))
            : PluginProcessRunner.RunAsync(launch, handler, request.Logger, cancellationToken);
    }

    private static string IpamType(CniPluginRequest request)
    {
        if (request.Config.Ipam is not { } ipam || ipam["type"]?.GetValueKind() != System.Text.Json.JsonValueKind.String ||
            string.IsNullOrEmpty((string?)ipam["type"]))
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, "ipam.type: required for IPAM delegation");
        }
        return (string)ipam["type"]!;
    }
}
