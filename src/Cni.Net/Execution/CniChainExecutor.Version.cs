using System.Text;
using Cni.Net.Spec;
using Cni.Net.Processes;

namespace Cni.Net.Execution;

public sealed partial class CniChainExecutor
{
    /// <summary>VERSION: which spec versions the plugin of type <paramref name="pluginType"/> supports.</summary>
    /// <exception cref="CniException">The plugin cannot be found, fails, or prints no version information.</exception>
    public ValueTask<CniPluginVersionInfo> GetVersionInfoAsync(string pluginType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginType);
        CniPluginLocator.ValidateType(pluginType);
        byte[] stdin = Encoding.UTF8.GetBytes($"{{\"cniVersion\":\"{CniVersion.Latest}\"}}");
        return InvokeAsync(pluginType, "VERSION", null, stdin,
            (exit, stdout, stderr) => PluginOutputParser.ReadVersion(exit, stdout, stderr, pluginType), cancellationToken);
    }

    /// <summary>
    /// Checks that every plugin of the list exists and supports the list's negotiated version (VERSION probe). Returns
    /// one error per plugin that cannot run the list; an empty list means the network is usable.
    /// </summary>
    public async ValueTask<IReadOnlyList<CniException>> ValidateAsync(NetworkConfigList network, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        var errors = new List<CniException>();
        CniVersion version;
        try
        {
            version = network.NegotiateVersion();
        }
        catch (CniException e)
        {
            errors.Add(e);
            return errors;
        }
        foreach (PluginConfig plugin in network.Plugins)
        {
            string type = plugin.Type;
            try
            {
                CniPluginVersionInfo info = await GetVersionInfoAsync(type, cancellationToken).ConfigureAwait(false);
                if (!info.Supports(version))
                {
                    errors.Add(new CniException(CniErrorCode.IncompatibleVersion,
                        $"plugin {type} does not support config version \"{version}\"",
                        $"plugin supports [{string.Join(", ", info.SupportedVersions)}]"));
                }
            }
            catch (CniException e)
            {
                errors.Add(InPlugin(e, type, "VERSION"));
            }
        }
        return errors;
    }
}
