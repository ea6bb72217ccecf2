using Cni.Net.Plugins;
using Cni.Net.Samples.HostLocal;
using Cni.Net.Samples.Ptp;

return CniPluginHost.Run(new PtpPlugin(), new CniPluginHostOptions
{
    About = "CNI ptp plugin (Cni.Net): a veth pair per pod, routed point-to-point through the node",
    SameBuildDelegates = new Dictionary<string, ICniPlugin> { ["host-local"] = new HostLocalPlugin() },
});
