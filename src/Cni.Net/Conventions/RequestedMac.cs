using System.Net.NetworkInformation;
using Cni.Net.Conventions.Links;
using Cni.Net.Spec;

namespace Cni.Net.Conventions;

/// <summary>
/// The MAC address asked for a pod's interface, picked as the reference plugins pick it (bridge, macvlan, tap,
/// tuning): every source that is set overrides the ones before it — the plugin's own <c>mac</c> key, then
/// <c>CNI_ARGS</c> <c>MAC</c>, then <c>args.cni.mac</c>, then the <c>mac</c> capability (<c>runtimeConfig.mac</c>).
/// </summary>
public static class RequestedMac
{
    /// <summary>Picks the MAC address asked for and parses it as Go's <c>net.ParseMAC</c> does for 6 bytes.</summary>
    /// <param name="cniArgs"><c>CNI_ARGS</c> of the invocation (<c>request.Args</c>).</param>
    /// <param name="configured">The plugin's own <c>mac</c> key, if it has one.</param>
    /// <param name="argsCni"><c>args.cni.mac</c> of the config, for plugins that read it.</param>
    /// <param name="runtime"><c>runtimeConfig.mac</c> (the <c>mac</c> capability) as the plugin's config record read it.</param>
    /// <returns>The address; <see langword="null"/> when no source sets one.</returns>
    /// <exception cref="CniException">The chosen text is not a 6-byte MAC address (code 7, <c>invalid args … for MAC addr</c>).</exception>
    public static PhysicalAddress? Choose(CniArgs cniArgs, string? configured = null, string? argsCni = null, string? runtime = null) =>
        Parse(Pick(cniArgs, configured, argsCni, runtime));

    /// <summary>Picks the text of the MAC address asked for (see <see cref="RequestedMac"/>), without parsing it.</summary>
    /// <param name="cniArgs"><c>CNI_ARGS</c> of the invocation (<c>request.Args</c>).</param>
    /// <param name="configured">The plugin's own <c>mac</c> key, if it has one.</param>
    /// <param name="argsCni"><c>args.cni.mac</c> of the config, for plugins that read it.</param>
    /// <param name="runtime"><c>runtimeConfig.mac</c> (the <c>mac</c> capability).</param>
    /// <returns>The last source that is set and not empty, or <see langword="null"/>.</returns>
    public static string? Pick(CniArgs cniArgs, string? configured = null, string? argsCni = null, string? runtime = null)
    {
        ArgumentNullException.ThrowIfNull(cniArgs);
        string? mac = string.IsNullOrEmpty(configured) ? null : configured;
        if (cniArgs.TryGetValue("MAC", out string? fromArgs) && fromArgs.Length > 0)
        {
            mac = fromArgs;
        }
        if (!string.IsNullOrEmpty(argsCni))
        {
            mac = argsCni;
        }
        if (!string.IsNullOrEmpty(runtime))
        {
            mac = runtime;
        }
        return mac;
    }

    /// <summary>Parses a requested MAC address as Go's <c>net.ParseMAC</c> does for 6 bytes.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The address; <see langword="null"/> for <see langword="null"/> or empty text.</returns>
    /// <exception cref="CniException">Not a 6-byte MAC address (code 7, <c>invalid args … for MAC addr</c>).</exception>
    public static PhysicalAddress? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        try
        {
            return HostDeviceLookup.ParseMac(text);
        }
        catch (CniException e)
        {
            throw new CniException(CniErrorCode.InvalidNetworkConfig, $"invalid args {text} for MAC addr", null, e);
        }
    }
}
