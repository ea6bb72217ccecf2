using Cni.Net.Spec;
using Cni.Net.Processes;

namespace Cni.Net.Execution;

public sealed partial class CniChainExecutor
{
    /// <summary>
    /// DEL: runs the list's plugins in reverse order, each with the cached final ADD result as <c>prevResult</c> (from
    /// version 0.4.0), then removes the cache entry. Works without a cache entry (or with a corrupt or unreadable one)
    /// and without a netns; an entry that cannot be removed is logged, not thrown, as in libcni. When the request
    /// carries no capability arguments or CNI_ARGS, those recorded at ADD are used, so that plugins such as portmap can
    /// find what to remove. Stops at the first error; the cache entry then stays for a retry.
    /// </summary>
    /// <exception cref="CniException">A plugin failed, timed out or could not be found, or the request is invalid.</exception>
    public async ValueTask DelAsync(NetworkConfigList network, CniRuntimeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(request);
        ValidateRequest(request, requireNetNs: false);
        request = request.WithTypedArgsMerged();
        CniVersion version = network.NegotiateVersion();
        RequirePlugins(network);
        using CniAttachmentLocks.Releaser held =
            await _locks.EnterAttachmentAsync(AttachmentKey(network, request), cancellationToken).ConfigureAwait(false);
        await DelCoreAsync(network, version, request, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask DelCoreAsync(NetworkConfigList network, CniVersion version, CniRuntimeRequest request,
        CancellationToken cancellationToken)
    {
        ExecutionLog.ChainStarted(_logger, "DEL", network.Name, request.ContainerId, request.IfName);
        CniCachedAttachment? entry = _cache.Read(network.Name, request.ContainerId, request.IfName);
        CniResult? cached = version >= CniVersion.V0_4_0 ? CachedResult(entry, version) : null;
        if (entry is not null && (request.CapabilityArgs is null || request.Args.Count == 0))
        {
            request = new CniRuntimeRequest(request.ContainerId, request.NetNs, request.IfName)
            {
                Args = request.Args.Count > 0 ? request.Args : [.. entry.CniArgs],
                CapabilityArgs = request.CapabilityArgs ?? entry.CapabilityArgs,
            };
        }
        for (int i = network.Plugins.Count - 1; i >= 0; i--)
        {
            PluginConfig plugin = network.Plugins[i];
            string type = plugin.Type;
            byte[] stdin = BuildPluginConfig(plugin, network.Name, version, cached, request.CapabilityArgs);
            try
            {
                await InvokeAsync(type, "DEL", request, stdin,
                    (exit, stdout, stderr) => PluginOutputParser.ReadNothing(exit, stdout, stderr, type),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CniException e)
            {
                ExecutionLog.ChainPluginFailed(_logger, "DEL", network.Name, type, (uint)e.Code, e.Message);
                throw InPlugin(e, type, "DEL");
            }
        }
        try
        {
            _cache.Delete(network.Name, request.ContainerId, request.IfName);
        }
        catch (IOException e)
        {
            // The attachment is gone; an entry left behind only makes a later GC delete it again (libcni ignores this
            // error too).
            ExecutionLog.CacheNotRemoved(_logger, _cache.PathFor(network.Name, request.ContainerId, request.IfName), e.Message);
        }
    }
}
