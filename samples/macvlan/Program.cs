using Cni.Net.Plugins;
using Cni.Net.Samples.Macvlan;

return CniPluginHost.Run(new MacvlanPlugin(), new CniPluginHostOptions
{
    About = "CNI macvlan plugin (Cni.Net): a macvlan of a node (or pod) interface as the pod's interface",
});
