using Cni.Net.Plugins;
using Cni.Net.Samples.Firewall;

return CniPluginHost.Run(new FirewallPlugin(), new CniPluginHostOptions
{
    About = "CNI firewall plugin (Cni.Net): lets the pod's traffic through FORWARD (iptables layout, on nf_tables)",
});
