using Cni.Net.Plugins;
using Cni.Samples.Bridge;

return CniPluginHost.Run(new BridgePlugin(), new CniPluginHostOptions
{
    About = "CNI bridge plugin (Cni.Net): a veth pair per pod on a Linux bridge, addresses from the IPAM plugin",
});
