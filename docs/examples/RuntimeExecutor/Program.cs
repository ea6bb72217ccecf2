using Cni.Net.Configuration;
using Cni.Net.Execution;
using Cni.Net.Plugins;
using Cni.Net.Spec;

var options = new CniExecutorOptions
{
    CacheDirectory = "/var/lib/cni",            // libcni's, so Go runtimes and this one share entries
    PluginTimeout = TimeSpan.FromSeconds(60),   // per plugin call; the plugin's process group is killed
    LoggerFactory = new TextWriterLoggerFactory(Console.Error),   // optional: the executor's log on stderr
};
options.PluginDirectories.Add("/usr/lib/cni");  // searched in order after the default /opt/cni/bin
var executor = new CniChainExecutor(options);

NetworkConfigList network = CniConfigDirectory.Load("/etc/cni/net.d").Default!.Config;
var request = new CniRuntimeRequest("pod1-sandbox", "/var/run/netns/pod1", "eth0")
{
    // IgnoreUnknown=1: plugins that do not know the K8S_* keys (the reference bridge) accept them, as kubelet sends it.
    Args = [new("IgnoreUnknown", "1"), new("K8S_POD_NAMESPACE", "web"), new("K8S_POD_NAME", "nginx")],
    // Typed capability arguments, written as the wire JSON; raw ones go in CapabilityArgs (a JsonObject).
    RuntimeConfig = new CniRuntimeConfig { PortMappings = [new PortMapping { HostPort = 8080, ContainerPort = 80, Protocol = "tcp" }] },
};

CniResult result = await executor.AddAsync(network, request);
await executor.CheckAsync(network, request);
await executor.DelAsync(network, request);     // also after a failed ADD
