using System.Net;
using Cni.Net.Plugins;
using Cni.Samples.Bridge;
using Cni.Net.Spec;

namespace Cni.Net.Fuzz.Targets;

/// <summary>
/// The bridge sample's configuration (record, source-generated context, validation) on a plugin that touches no
/// kernel: ADD answers the previous result (or one address), the other commands read what their real handlers read.
/// </summary>
internal sealed class FuzzBridgePlugin() : CniPlugin<BridgeConfig>(BridgeConfig.ReadCniConfig)
{
    protected override void Validate(BridgeConfig config, CniPluginRequest request) => config.Validate();

    protected override ValueTask<CniResult> AddAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        _ = request.RuntimeConfig;
        _ = request.Args;
        if (request.PrevResult is { } prev)
        {
            return ValueTask.FromResult(prev);
        }
        var result = new CniResult(request.CniVersion);
        result.IPs.Add(new CniIPConfig { Address = new CniIPNet(IPAddress.Parse("10.22.0.2"), 16), Gateway = IPAddress.Parse("10.22.0.1") });
        return ValueTask.FromResult(result);
    }

    protected override ValueTask DelAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        _ = request.PrevResult;
        return ValueTask.CompletedTask;
    }

    protected override ValueTask CheckAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        _ = request.PrevResult ?? throw new CniException(CniErrorCode.InvalidNetworkConfig, "CHECK needs a prevResult");
        return ValueTask.CompletedTask;
    }

    protected override ValueTask GCAsync(CniPluginRequest<BridgeConfig> request, CancellationToken cancellationToken)
    {
        _ = request.ValidAttachments.Count;
        return ValueTask.CompletedTask;
    }
}
