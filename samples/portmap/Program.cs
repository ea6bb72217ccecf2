using Cni.Net.Plugins;
using Cni.Net.Samples.PortMap;

return CniPluginHost.Run(new PortMapPlugin(), new CniPluginHostOptions { About = "CNI portmap plugin (Cni.Net)" });
