// A complete CNI plugin: it passes the previous plugin's result through (or answers an empty result when it runs
// first). Publish it with `dotnet publish -c Release -r linux-x64` (PublishAot) and copy the binary, named after the
// config's "type", into a CNI bin directory.
using Cni.Net.Plugins;
using Cni.Net.Spec;

return CniPluginHost.Run(new PassThroughPlugin(), new CniPluginHostOptions { About = "pass-through CNI plugin" });

internal sealed class PassThroughPlugin : ICniPlugin
{
    public ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult(request.PrevResult ?? new CniResult(request.CniVersion));

    public ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
