using Cni.Net.Configuration;
using Cni.Net.Execution;
using Cni.Net.Spec;

var options = new CniExecutorOptions();                // plugins in /opt/cni/bin, result cache in /var/lib/cni
options.PluginDirectories.Add("/usr/lib/cni");         // searched after /opt/cni/bin
var executor = new CniChainExecutor(options);

NetworkConfigList network = CniConfigDirectory.Load("/etc/cni/net.d").Default!.Config;
var request = new CniRuntimeRequest("ctr-1", "/run/netns/ctr-1", "eth0")   // made with `ip netns add ctr-1`
{
    RuntimeConfig = new CniRuntimeConfig { PortMappings = [new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "tcp" }] },
};
CniResult result = await executor.AddAsync(network, request);
Console.WriteLine($"ctr-1 has {result.IPs[0].Address}");
await executor.DelAsync(network, request);             // also after a failed ADD
