namespace Cni.Net.Spec;

/// <summary>A CNI specification version such as <c>1.1.0</c>.</summary>
public readonly struct CniVersion
{
}
