using Cni.Net.Plugins;
using Cni.Net.Samples.Sbr;

return CniPluginHost.Run(new SbrPlugin(), new CniPluginHostOptions
{
    About = "CNI sbr plugin (Cni.Net): source-based routing tables and rules for the pod interface",
});
