namespace Cni.Net.Spec;

/// <summary>The operation a runtime asks of a plugin (<c>CNI_COMMAND</c>).</summary>
public enum CniCommand
{
    /// <summary><c>ADD</c>: attach the container to the network.</summary>
    Add,

    /// <summary><c>DEL</c>: detach the container; succeeds when already gone.</summary>
    Del,

    /// <summary><c>CHECK</c>: verify an attachment (0.4.0 and later).</summary>
    Check,

    /// <summary><c>VERSION</c>: report the supported versions.</summary>
    Version,

    /// <summary><c>GC</c>: release resources of attachments that are no longer valid (1.1.0).</summary>
    GC,

    /// <summary><c>STATUS</c>: whether the plugin is ready to serve ADD (1.1.0).</summary>
    Status,
}
