using Cni.Net.Plugins;
using Cni.Net.Samples.Bandwidth;

return CniPluginHost.Run(new BandwidthPlugin(), new CniPluginHostOptions { About = "CNI bandwidth plugin (Cni.Net)" });
