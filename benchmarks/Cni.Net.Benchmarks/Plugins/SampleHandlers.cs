using System.Reflection;
using Cni.Net.Plugins;

namespace Cni.Net.Benchmarks.Plugins;

/// <summary>
/// The sample plugins' handlers, for benchmarks that run them in-process. The samples are separate executables whose
/// handler classes are internal, so they are created by name.
/// </summary>
internal static class SampleHandlers
{
    /// <summary>The pod chain bridge → portmap → bandwidth, as (type, handler class).</summary>
    public static readonly (string Type, string ClassName)[] Chain =
    [
        ("bridge", "Cni.Samples.Bridge.BridgePlugin, bridge"),
        ("portmap", "Cni.Net.Samples.PortMap.PortMapPlugin, portmap"),
        ("bandwidth", "Cni.Net.Samples.Bandwidth.BandwidthPlugin, bandwidth"),
    ];

    /// <summary>host-local's handler class: registered too, bridge's IPAM delegation stays in-process.</summary>
    public const string HostLocal = "Cni.Net.Samples.HostLocal.HostLocalPlugin, host-local";

    /// <summary>Creates a handler as its Program.cs does: the constructor with every parameter at its default.</summary>
    public static ICniPlugin Create(string className)
    {
        Type handler = Type.GetType(className, throwOnError: true)!;
        ConstructorInfo constructor = handler.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(c => c.GetParameters().All(p => p.HasDefaultValue))
            .OrderBy(c => c.GetParameters().Length)
            .First();
        return (ICniPlugin)constructor.Invoke([.. constructor.GetParameters().Select(p => p.DefaultValue)]);
    }
}
