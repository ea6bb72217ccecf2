using Cni.Net.Spec;

namespace Cni.Net.Execution;

public sealed partial class CniChainExecutor
{
    /// <summary>
    /// CHECK: runs the list's plugins in order with the cached ADD result as <c>prevResult</c>. Needs version 0.4.0 or
    /// later; does nothing when the list sets <c>disableCheck</c>.
    /// </summary>
    /// <exception cref="CniException">Code 1 when the negotiated version predates CHECK; otherwise a plugin's error.</exception>
    public async ValueTask CheckAsync(NetworkConfigList network, CniRuntimeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(request);
        ValidateRequest(request, requireNetNs: true);
        request = request.WithTypedArgsMerged();
        CniVersion version = network.NegotiateVersion();
        if (version < CniVersion.V0_4_0)
        {
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"configuration version \"{version}\" does not support the CHECK command (it needs 0.4.0 or later)");
        }
        if (network.DisableCheck)
        {
            return;
        }
        RequirePlugins(network);
        using CniAttachmentLocks.Releaser held =
            await _locks.EnterAttachmentAsync(AttachmentKey(network, request), cancellationToken).ConfigureAwait(false);
        ExecutionLog.ChainStarted(_logger, "CHECK", network.Name, request.ContainerId, request.IfName);
        CniResult? cached = CachedResult(_cache.Read(network.Name, request.ContainerId, request.IfName), version);
        foreach (PluginConfig plugin in network.Plugins)
        {
            string type = plugin.Type;
            byte[] stdin = BuildPluginConfig(plugin, network.Name, version, cached, request.CapabilityArgs);
            try
            {
                await InvokeAsync(type, "CHECK", request, stdin,
                    (exit, stdout, stderr) => PluginOutputParser.ReadNothing(exit, stdout, stderr, type),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CniException e)
            {
                ExecutionLog.ChainPluginFailed(_logger, "CHECK", network.Name, type, (uint)e.Code, e.Message);
                throw InPlugin(e, type, "CHECK");
            }
        }
    }
}
