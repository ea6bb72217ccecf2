using Cni.Net.Plugins;
using Cni.Net.Plugins.Server;
using Cni.Net.Samples.Dhcp;
using Cni.Net.Spec;
using Microsoft.Extensions.Logging.Abstractions;

// "dhcp daemon …" holds the leases; every other invocation is the plugin, which forwards to the daemon's socket.
if (args.Length > 0 && args[0] == "daemon")
{
    return await DhcpDaemon.RunAsync(args[1..]);
}
if (Environment.GetEnvironmentVariable("CNI_COMMAND") is null or "" or "VERSION")
{
    // VERSION (and the "about" text) need no daemon.
    return CniPluginHost.Run(
        new DhcpDaemonPlugin(new DhcpDaemonSettings("", false, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), NullLogger.Instance),
        new CniPluginHostOptions { About = "CNI dhcp IPAM plugin (Cni.Net): leases from a DHCP server, held by \"dhcp daemon\"" });
}
return CniPluginClient.Run("dhcp", stdin =>
{
    // Read with the SDK's rules and checked as the daemon will check it, so a bad config is code 7 with or without a daemon.
    DhcpConfig config = DhcpConfig.ReadCniConfig(PluginConfig.Parse(stdin).Json);
    if (config.Ipam is null)
    {
        throw new CniException(CniErrorCode.InvalidNetworkConfig, "IPAM config missing 'ipam' key");
    }
    DhcpOptionList.Apply(config.Ipam, Environment.GetEnvironmentVariable("CNI_ARGS"), new Cni.Net.Dhcp.DhcpClientOptions());
    return DhcpOptionList.SocketPath(config);
}, "the DHCP daemon (dhcp daemon)");
