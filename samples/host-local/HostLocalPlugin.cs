using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostLocal;

/// <summary>host-local as a plugin: every verb, including GC and STATUS which the reference lacks.</summary>
internal sealed class HostLocalPlugin() : CniPlugin<HostLocalNetConf>(HostLocalNetConf.ReadCniConfig)
{
    protected override ValueTask<CniResult> AddAsync(CniPluginRequest<HostLocalNetConf> request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(HostLocalHandler.Add(request.NetConf, request.ContainerId, request.IfName, request.Args));

    protected override ValueTask DelAsync(CniPluginRequest<HostLocalNetConf> request, CancellationToken cancellationToken)
    {
        HostLocalHandler.Del(request.NetConf, request.ContainerId, request.IfName);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask CheckAsync(CniPluginRequest<HostLocalNetConf> request, CancellationToken cancellationToken)
    {
        HostLocalHandler.Check(request.NetConf, request.ContainerId, request.IfName, request.Args);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask StatusAsync(CniPluginRequest<HostLocalNetConf> request, CancellationToken cancellationToken)
    {
        HostLocalHandler.Status(request.NetConf);
        return ValueTask.CompletedTask;
    }

    protected override ValueTask GCAsync(CniPluginRequest<HostLocalNetConf> request, CancellationToken cancellationToken)
    {
        HostLocalHandler.GC(request.NetConf, request.ValidAttachments.Select(a => (a.ContainerId, a.IfName)));
        return ValueTask.CompletedTask;
    }
}
