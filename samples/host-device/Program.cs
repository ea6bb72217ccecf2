using Cni.Net.Plugins;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.HostDevice;

return CniPluginHost.Run(new HostDevicePlugin(), new CniPluginHostOptions
{
    About = "CNI host-device plugin (Cni.Net): moves a node link into the pod and back",
    SameBuildDelegates = new Dictionary<string, ICniPlugin> { ["host-local"] = new HostLocalPlugin() },
});
