using Cni.Net.Plugins;
using Cni.Net.Samples.HostLocal;
using Cni.Samples.Bridge;

return CniPluginHost.Run(new BridgePlugin(), new CniPluginHostOptions
{
    About = "CNI bridge plugin (Cni.Net): a veth pair per pod on a Linux bridge, addresses from the IPAM plugin",
    SameBuildDelegates = new Dictionary<string, ICniPlugin> { ["host-local"] = new HostLocalPlugin() },
});
