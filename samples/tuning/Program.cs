using Cni.Net.Plugins;
using Cni.Net.Samples.Tuning;

return CniPluginHost.Run(new TuningPlugin(), new CniPluginHostOptions
{
    About = "CNI tuning plugin (Cni.Net): sysctls and link settings of the pod interface, restored on DEL",
});
