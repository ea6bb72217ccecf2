using Cni.Net.Plugins;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.Tap;

return CniPluginHost.Run(new TapPlugin(), new CniPluginHostOptions
{
    About = "CNI tap plugin (Cni.Net): a persistent tap device in the pod, optionally a port of a bridge there",
    SameBuildDelegates = new Dictionary<string, ICniPlugin> { ["host-local"] = new HostLocalPlugin() },
});
