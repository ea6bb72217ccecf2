using Cni.Net.Spec;
using Cni.Net.Processes;

namespace Cni.Net.Execution;

public sealed partial class CniChainExecutor
{
    /// <summary>
    /// STATUS: asks every plugin, in order, whether it is ready; the first one that is not decides the answer (codes
    /// 50 and 51 become <see cref="CniReadiness.NotAvailable"/> and <see cref="CniReadiness.LimitedConnectivity"/>).
    /// Lists whose negotiated version predates 1.1.0 are reported ready, as libcni does.
    /// </summary>
    public async ValueTask<CniNetworkStatus> StatusAsync(NetworkConfigList network, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        CniVersion version = network.NegotiateVersion();
        if (version < CniVersion.V1_1_0)
        {
            return CniNetworkStatus.Ready;
        }
        foreach (PluginConfig plugin in network.Plugins)
        {
            string type = plugin.Type;
            byte[] stdin = BuildPluginConfig(plugin, network.Name, version, null, null);
            try
            {
                await InvokeAsync(type, "STATUS", null, stdin,
                    (exit, stdout, stderr) => PluginOutputParser.ReadNothing(exit, stdout, stderr, type),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (CniException e)
            {
                ExecutionLog.ChainPluginFailed(_logger, "STATUS", network.Name, type, (uint)e.Code, e.Message);
                return CniNetworkStatus.FromError(type, e);
            }
        }
        return CniNetworkStatus.Ready;
    }
}
