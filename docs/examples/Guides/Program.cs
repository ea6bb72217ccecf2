// Runs one snippet of the guides as a program of its own, `dotnet Guides.dll Allocate`, and prints what it returns.
// The integration tests run this way the snippets that use the node's own paths (/var/lib/cni, /run/netns), in a
// private network and mount namespace with a tmpfs over those paths (DocExampleKernelTests); the rest they call
// in-process in throwaway namespaces.
using Cni.Net.Examples.Guides;
using Cni.Net.Ipam;
using Cni.Net.Kubelet;

switch (args)
{
    case [nameof(IpamExamples.Allocate)]:
        foreach (HostLocalAllocation a in IpamExamples.Allocate())
        {
            Console.WriteLine($"{a} gw {a.Gateway}");
        }
        return 0;
    case [nameof(KubenetExamples.ContractAsync)]:
        (PodNetworkStatus? ips, NetworkPluginStatus ready) = await KubenetExamples.ContractAsync();
        Console.WriteLine($"ips {string.Join(',', ips?.IPs ?? [])}");
        Console.WriteLine($"ready {ready.IsReady} {ready.Reason}");
        return 0;
    default:
        Console.Error.WriteLine("usage: Guides " + nameof(IpamExamples.Allocate) + "|" + nameof(KubenetExamples.ContractAsync));
        return 2;
}
