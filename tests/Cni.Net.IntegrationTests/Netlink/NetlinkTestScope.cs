using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netlink.Route;

namespace Cni.Net.IntegrationTests.Netlink;

/// <summary>A throwaway namespace with an rtnetlink client bound to it; everything is removed on dispose.</summary>
internal sealed class NetlinkTestScope : IDisposable
{
    public NetlinkTestScope(string hint)
    {
        Ns = new TestNamespace(hint);
        try
        {
            Namespace = NetworkNamespace.Open(Ns.Path);
            Rtnl = RouteNetlink.Open(Namespace);
        }
        catch
        {
            Ns.Dispose();
            throw;
        }
    }

    public TestNamespace Ns { get; }

    public NetworkNamespace Namespace { get; }

    public RouteNetlink Rtnl { get; }

    /// <summary><c>ip -j -d link show dev name</c>: the single link object.</summary>
    public JsonElement Link(string name) => Ns.IpJson("link", "show", "dev", name)[0];

    public bool LinkExists(string name) => Shell.Run("ip", ["-n", Ns.Name, "link", "show", "dev", name]).ExitCode == 0;

    public int Index(string name) => Link(name).GetProperty("ifindex").GetInt32();

    public void Ip(params string[] args) => Shell.Check("ip", ["-n", Ns.Name, .. args]);

    public void Dispose()
    {
        Rtnl.Dispose();
        Namespace.Dispose();
        Ns.Dispose();
    }
}
