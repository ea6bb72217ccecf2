namespace Cni.Net.Plugins;

/// <summary>
/// A plugin invocation with the plugin's own configuration already read into <typeparamref name="TConfig"/>
/// (see <see cref="CniPlugin{TConfig}"/>).
/// </summary>
/// <typeparam name="TConfig">The plugin's configuration record.</typeparam>
public sealed class CniPluginRequest<TConfig> : CniPluginRequest
    where TConfig : class
{
    internal CniPluginRequest(CniPluginRequest request, TConfig netConf)
        : base(request)
    {
        NetConf = netConf;
    }

    /// <summary>
    /// The plugin's configuration, read with Go's rules and checked by
    /// <see cref="CniPlugin{TConfig}.Validate(TConfig, CniPluginRequest)"/>. The raw JSON, with every key the
    /// runtime sent, stays in <see cref="CniPluginRequest.Config"/>.
    /// </summary>
    public TConfig NetConf { get; }
}
