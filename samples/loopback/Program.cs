using Cni.Net.Plugins;
using Cni.Samples.Loopback;

return CniPluginHost.Run(new LoopbackPlugin(), new CniPluginHostOptions
{
    About = "CNI loopback plugin (Cni.Net): brings lo up in the container's network namespace",
});
