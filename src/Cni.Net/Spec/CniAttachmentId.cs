namespace Cni.Net.Spec;

/// <summary>An attachment a runtime still uses, as listed in GC's <c>cni.dev/valid-attachments</c>.</summary>
/// <param name="ContainerId">The container id.</param>
/// <param name="IfName">The interface name inside the container.</param>
public readonly record struct CniAttachmentId(string ContainerId, string IfName);
