using System.Text.Json.Serialization;
using Cni.Net.Plugins;
using Cni.Net.Spec;

[CniConfig]                                                 // its reader is written at build time
internal sealed partial record MyConfig
{
    public string? Bridge { get; init; }
    public int Mtu { get; init; }
    public bool IPMasq { get; init; }
    public bool PreserveDefaultVlan { get; init; } = true;  // kept when the key is absent
    [JsonPropertyName("enabledad")] public bool EnableDad { get; init; }
}

internal sealed class MyPlugin() : CniPlugin<MyConfig>(MyConfig.ReadCniConfig)
{
    protected override void Validate(MyConfig config, CniPluginRequest request)
    {
        if (config.Mtu is not 0 and (< 68 or > 65535))
        {
            throw CniException.InvalidConfig("mtu", $"{config.Mtu} is out of range (68 to 65535)");   // code 7
        }
    }

    protected override async ValueTask<CniResult> AddAsync(CniPluginRequest<MyConfig> request, CancellationToken cancellationToken)
    {
        MyConfig config = request.NetConf;                                        // already read and validated
        CniResult ipam = await CniIpam.AddAsync(request, cancellationToken);      // delegate to host-local & co.
        // ... create links in request.NetNs with config.Mtu, give them ipam.IPs ...
        return ipam;                                                              // converted to the config's version
    }

    protected override ValueTask DelAsync(CniPluginRequest<MyConfig> request, CancellationToken cancellationToken)
        => CniIpam.DelAsync(request, cancellationToken);                         // must succeed when already gone

    protected override ValueTask CheckAsync(CniPluginRequest<MyConfig> request, CancellationToken cancellationToken)
        => ValueTask.CompletedTask;                                              // compare kernel state to PrevResult
}

internal static class Program
{
    private static int Main() => CniPluginHost.Run(new MyPlugin(), new CniPluginHostOptions { About = "my plugin v1" });
}
