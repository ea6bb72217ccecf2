using Cni.Net.Spec;

namespace Cni.Net.Plugins;

/// <summary>
/// A CNI plugin's handlers. <see cref="CniPluginHost.Run"/> turns an implementation into an executable that a runtime
/// can exec; a runtime using <c>Cni.Net.Execution</c> may also register it to be called in-process with the same JSON
/// contract. Throw <see cref="CniException"/> to report a failure with its code; any other exception becomes a CNI
/// error too, never a stack trace.
/// </summary>
public interface ICniPlugin
{
    /// <summary>The spec versions this plugin accepts (VERSION answers with them). Default: every version Cni.Net supports.</summary>
    IReadOnlyList<CniVersion> SupportedVersions => CniVersion.Supported;

    /// <summary>ADD: set up the attachment and return its result (the host converts it to the config's version).</summary>
    ValueTask<CniResult> AddAsync(CniPluginRequest request, CancellationToken cancellationToken);

    /// <summary>DEL: remove the attachment; must succeed when things are already gone or the netns is missing.</summary>
    ValueTask DelAsync(CniPluginRequest request, CancellationToken cancellationToken);

    /// <summary>CHECK (spec ≥ 0.4.0): throw when the attachment is not as <see cref="CniPluginRequest.PrevResult"/> says.</summary>
    ValueTask CheckAsync(CniPluginRequest request, CancellationToken cancellationToken);

    /// <summary>STATUS (spec ≥ 1.1.0): throw code 50/51 when not ready. Default: ready.</summary>
    ValueTask StatusAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>GC (spec ≥ 1.1.0): release what belongs to attachments not in <see cref="CniPluginRequest.ValidAttachments"/>. Default: nothing to do.</summary>
    ValueTask GCAsync(CniPluginRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
