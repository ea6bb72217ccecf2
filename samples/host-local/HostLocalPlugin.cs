using Cni.Net.Plugins;
using Cni.Net.Spec;

namespace Cni.Net.Samples.HostLocal;

/// <summary>host-local as an <see cref="ICniPlugin"/>: every verb, including GC and STATUS which the reference lacks.</summary>
internal sealed class HostLocalPlugin : ICniPlugin
{
    public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(HostLocalHandler.Add(request.StdinData.Span, request.ContainerId, request.IfName, request.Args));

    public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        HostLocalHandler.Del(request.StdinData.Span, request.ContainerId, request.IfName);
        return ValueTask.CompletedTask;
    }

    public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        HostLocalHandler.Check(request.StdinData.Span, request.ContainerId, request.IfName, request.Args);
        return ValueTask.CompletedTask;
    }

    public ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        HostLocalHandler.Status(request.StdinData.Span);
        return ValueTask.CompletedTask;
    }

    public ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken)
    {
        HostLocalHandler.GC(request.StdinData.Span, request.ValidAttachments.Select(a => (a.ContainerId, a.IfName)));
        return ValueTask.CompletedTask;
    }
}
