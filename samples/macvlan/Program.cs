using Cni.Net.Plugins;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.Macvlan;

return CniPluginHost.Run(new MacvlanPlugin(), new CniPluginHostOptions
{
    About = "CNI macvlan plugin (Cni.Net): a macvlan of a node (or pod) interface as the pod's interface",
    SameBuildDelegates = new Dictionary<string, ICniPlugin> { ["host-local"] = new HostLocalPlugin() },
});
