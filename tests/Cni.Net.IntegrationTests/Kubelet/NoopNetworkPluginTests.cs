using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Kubelet;

namespace Cni.Net.IntegrationTests.Kubelet;

public class NoopNetworkPluginTests
{
    private const string CallIptables = "/proc/sys/net/bridge/bridge-nf-call-iptables";
    private const string CallIp6tables = "/proc/sys/net/bridge/bridge-nf-call-ip6tables";

    [Fact]
    public async Task Init_BridgeNetfilterPresent_SetsBothSysctls()
    {
        Require.NotInRootNamespace();
        if (!File.Exists(CallIptables))
        {
            Assert.Skip("kernel lacks bridge netfilter (br_netfilter) in this namespace");
        }
        string before4 = File.ReadAllText(CallIptables).Trim();
        string before6 = File.ReadAllText(CallIp6tables).Trim();
        try
        {
            File.WriteAllText(CallIptables, "0\n");
            File.WriteAllText(CallIp6tables, "0\n");
            INetworkPlugin plugin = await NetworkPlugins.InitAsync(new NetworkPluginOptions(), TestContext.Current.CancellationToken);
            Assert.Equal("", plugin.Name);
            Assert.Equal("1", File.ReadAllText(CallIptables).Trim());
            Assert.Equal("1", File.ReadAllText(CallIp6tables).Trim());
            Assert.True((await plugin.GetStatusAsync(TestContext.Current.CancellationToken)).IsReady);
            using var ns = new TestNamespace("noop");
            var pod = new PodSandbox("default", "p", "sandbox-noop", ns.Path);
            await plugin.SetUpPodAsync(pod, TestContext.Current.CancellationToken);
            Assert.Equal(["lo"], ns.IpJson("link", "show").EnumerateArray().Select(l => l.GetProperty("ifname").GetString()));
            Assert.Null(await plugin.GetPodNetworkStatusAsync(pod, TestContext.Current.CancellationToken));
        }
        finally
        {
            File.WriteAllText(CallIptables, before4 + "\n");
            File.WriteAllText(CallIp6tables, before6 + "\n");
        }
    }
}
