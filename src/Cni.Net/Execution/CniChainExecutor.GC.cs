using System.Text.Json.Nodes;
using Cni.Net.Spec;
using Cni.Net.Processes;

namespace Cni.Net.Execution;

public sealed partial class CniChainExecutor
{
    /// <summary>
    /// GC, as libcni does it: first DEL every cached attachment of this network that is not in
    /// <paramref name="validAttachments"/>, then (from version 1.1.0) send GC to every plugin with
    /// <c>cni.dev/valid-attachments</c> (and the older <c>cni.dev/attachments</c>). Continues past errors and returns
    /// them all; an empty list means success. Does nothing when the list sets <c>disableGC</c>. Runs exclusively: no
    /// ADD/DEL/CHECK of any attachment overlaps it.
    /// </summary>
    /// <param name="network">The network list.</param>
    /// <param name="validAttachments">The attachments still in use; null means none.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    public async ValueTask<IReadOnlyList<CniException>> GCAsync(NetworkConfigList network,
        IEnumerable<CniAttachmentId>? validAttachments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        var errors = new List<CniException>();
        if (network.DisableGC)
        {
            return errors;
        }
        CniVersion version = network.NegotiateVersion();
        CniAttachmentId[] valid = validAttachments?.ToArray() ?? [];
        var validSet = new HashSet<CniAttachmentId>(valid);
        using CniAttachmentLocks.Releaser held = await _locks.EnterExclusiveAsync(cancellationToken).ConfigureAwait(false);
        ExecutionLog.ChainStarted(_logger, "GC", network.Name, null, null);

        foreach (CniCachedAttachment entry in _cache.List())
        {
            if (entry.NetworkName != network.Name || validSet.Contains(new CniAttachmentId(entry.ContainerId, entry.IfName)))
            {
                continue;
            }
            ExecutionLog.GCStaleAttachment(_logger, network.Name, entry.ContainerId, entry.IfName);
            var stale = new CniRuntimeRequest(entry.ContainerId, entry.NetNs, entry.IfName)
            {
                Args = [.. entry.CniArgs],
                CapabilityArgs = entry.CapabilityArgs,
            };
            try
            {
                await DelCoreAsync(network, version, stale, cancellationToken).ConfigureAwait(false);
            }
            catch (CniException e)
            {
                errors.Add(new CniException(e.Code,
                    $"failed to delete stale attachment {entry.ContainerId} {entry.IfName}: {e.Message}", e.Details, e));
            }
        }

        if (version >= CniVersion.V1_1_0)
        {
            foreach (PluginConfig plugin in network.Plugins)
            {
                string type = plugin.Type;
                byte[] stdin = BuildPluginConfig(plugin, network.Name, version, null, null, valid);
                try
                {
                    await InvokeAsync(type, "GC", null, stdin,
                        (exit, stdout, stderr) => PluginOutputParser.ReadNothing(exit, stdout, stderr, type),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (CniException e)
                {
                    ExecutionLog.ChainPluginFailed(_logger, "GC", network.Name, type, (uint)e.Code, e.Message);
                    errors.Add(InPlugin(e, type, "GC"));
                }
            }
        }
        return errors;
    }
}
