using Cni.Net.Plugins;
using Cni.Net.Samples.HostLocal;

return CniPluginHost.Run(new HostLocalPlugin(), new CniPluginHostOptions { About = "CNI host-local IPAM plugin (Cni.Net)" });
