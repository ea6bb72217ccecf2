using Cni.Net.Plugins;
using Cni.Net.Samples.Static;

return CniPluginHost.Run(new StaticPlugin(), new CniPluginHostOptions
{
    About = "CNI static IPAM plugin (Cni.Net): the addresses, routes and DNS the config names",
});
