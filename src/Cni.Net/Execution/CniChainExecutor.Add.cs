using Cni.Net.Spec;

namespace Cni.Net.Execution;

public sealed partial class CniChainExecutor
{
    /// <summary>
    /// ADD: runs the list's plugins in order, each with the previous one's result as <c>prevResult</c>; stops at the first
    /// error and throws it (no rollback — follow a failed ADD with <see cref="DelAsync"/>). On success the result is
    /// cached (libcni format, written atomically) and returned in the negotiated version.
    /// </summary>
    /// <exception cref="CniException">A plugin failed, timed out or could not be found, the request is invalid (code 4),
    /// or no version of the list is supported (code 1).</exception>
    public async ValueTask<CniResult> AddAsync(NetworkConfigList network, CniRuntimeRequest request,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(request);
        ValidateRequest(request, requireNetNs: true);
        request = request.WithTypedArgsMerged();
        CniVersion version = network.NegotiateVersion();
        RequirePlugins(network);
        using CniAttachmentLocks.Releaser held =
            await _locks.EnterAttachmentAsync(AttachmentKey(network, request), cancellationToken).ConfigureAwait(false);
        ExecutionLog.ChainStarted(_logger, "ADD", network.Name, request.ContainerId, request.IfName);

        CniResult? result = null;
        foreach (PluginConfig plugin in network.Plugins)
        {
            string type = plugin.Type;
            byte[] stdin = BuildPluginConfig(plugin, network.Name, version, result, request.CapabilityArgs);
            try
            {
                result = await InvokeAsync(type, "ADD", request, stdin,
                    (exit, stdout, stderr) => PluginOutputParser.ReadResult(exit, stdout, stderr, type, version),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CniException e)
            {
                ExecutionLog.ChainPluginFailed(_logger, "ADD", network.Name, type, (uint)e.Code, e.Message);
                throw InPlugin(e, type, "ADD");
            }
        }
        if (result!.CniVersion != version)
        {
            result = result.ConvertTo(version);
        }
        try
        {
            _cache.Write(network.Name, request.ContainerId, request.IfName, request.NetNs, network.Bytes.Span,
                [.. request.Args], request.CapabilityArgs, result.WriteTo);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CniException(CniErrorCode.IOFailure,
                $"failed to write the cached result of network \"{network.Name}\": {e.Message}", null, e);
        }
        return result;
    }

    private static void RequirePlugins(NetworkConfigList network)
    {
        if (network.Plugins.Count == 0)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"network \"{network.Name}\" has no plugins");
        }
    }
}
