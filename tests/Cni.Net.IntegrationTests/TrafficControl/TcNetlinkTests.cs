using System.Text.Json;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Namespaces;
using Cni.Net.Netlink;
using Cni.Net.TrafficControl;

namespace Cni.Net.IntegrationTests.TrafficControl;

/// <summary>
/// Every qdisc, class and filter applied in a throwaway namespace (veth pair v0/v1 and an ifb) and checked with
/// <c>tc -j -d</c> and with our own read-back.
/// </summary>
public sealed class TcNetlinkTests : IDisposable
{
    private readonly TestNamespace _ns = new("tc");
    private readonly NetworkNamespace _netns;
    private readonly TcNetlink _tc;

    public TcNetlinkTests()
    {
        Shell.Check("ip", "-n", _ns.Name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
        Shell.Check("ip", "-n", _ns.Name, "link", "add", "ifb0", "type", "ifb");
        foreach (string dev in new[] { "v0", "v1", "ifb0" })
        {
            Shell.Check("ip", "-n", _ns.Name, "link", "set", dev, "up");
        }
        _netns = NetworkNamespace.OpenNamed(_ns.Name);
        _tc = TcNetlink.Open(_netns);
    }

    public void Dispose()
    {
        _tc.Dispose();
        _netns.Dispose();
        _ns.Dispose();
    }

    private int Index(string dev) => _ns.IpJson("link", "show", dev)[0].GetProperty("ifindex").GetInt32();

    private JsonElement TcJson(params string[] args) => Shell.Json("tc", ["-n", _ns.Name, "-j", "-d", .. args]);

    private static JsonElement Single(JsonElement array, Func<JsonElement, bool> predicate) =>
        Assert.Single(array.EnumerateArray(), e => predicate(e));

    private static void SkipWhenKernelLacks(string what, Action action)
    {
        try
        {
            action();
        }
        catch (NetlinkException e) when (e.Errno == 2 && (e.ExtendedAckMessage ?? "").Contains("unknown", StringComparison.OrdinalIgnoreCase)
                                          || e.Errno == 2 && (e.ExtendedAckMessage ?? "").Contains("not found", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Skip($"kernel lacks {what}: {e.ExtendedAckMessage}");
        }
    }

    [Fact]
    public void Tbf_AddReplaceListDelete_AsTcSeesIt()
    {
        int v0 = Index("v0");
        TbfParameters p = TbfParameters.FromBandwidth(10_000_000, 10_000_000);
        _tc.AddQdisc(v0, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(p));

        JsonElement tbf = Single(TcJson("qdisc", "show", "dev", "v0"), q => q.GetProperty("kind").GetString() == "tbf");
        Assert.Equal("1:", tbf.GetProperty("handle").GetString());
        Assert.Equal(1_250_000, tbf.GetProperty("options").GetProperty("rate").GetInt64());
        Assert.StartsWith("1250000b", tbf.GetProperty("options").GetProperty("burst").GetString(), StringComparison.Ordinal);

        TcQdiscInfo ours = Assert.Single(_tc.ListQdiscs(v0), q => q.Kind == "tbf");
        Assert.Equal(TcHandle.Root, ours.Parent);
        Assert.Equal(p, ours.Tbf);

        // Adding again fails with EEXIST; replacing changes the rate.
        NetlinkException dup = Assert.Throws<NetlinkException>(() => _tc.AddQdisc(v0, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(p)));
        Assert.Equal(17, dup.Errno);
        Assert.StartsWith($"add qdisc index {v0}: ", dup.Message, StringComparison.Ordinal);
        _tc.AddQdisc(v0, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(20_000_000, 10_000_000)), replace: true);
        Assert.Equal(2_500_000, Single(TcJson("qdisc", "show", "dev", "v0"), q => q.GetProperty("kind").GetString() == "tbf")
            .GetProperty("options").GetProperty("rate").GetInt64());

        Assert.True(_tc.TryDeleteQdisc(v0, TcHandle.Root));
        Assert.DoesNotContain(TcJson("qdisc", "show", "dev", "v0").EnumerateArray(), q => q.GetProperty("kind").GetString() == "tbf");
        Assert.False(_tc.TryDeleteQdisc(v0, TcHandle.Root));
    }

    [Fact]
    public void Tbf_LatencyAndPeakRate_AsTcSeesIt()
    {
        int v0 = Index("v0");
        TbfPeak peak = TbfPeak.FromRate(2_500_000, 1600);
        _tc.AddQdisc(v0, TcHandle.Root, TcHandle.Create(1, 0),
            new TbfQdisc(TbfParameters.FromLatency(1_250_000, 1_250_000, TimeSpan.FromMilliseconds(25), peak)) { Peak = peak });
        JsonElement options = Single(TcJson("qdisc", "show", "dev", "v0"), q => q.GetProperty("kind").GetString() == "tbf").GetProperty("options");
        Assert.Equal(1_250_000, options.GetProperty("rate").GetInt64());
        // tc 6.1's JSON leaves the peak rate out; its text has it.
        Assert.Contains("peakrate 20Mbit", Shell.Check("tc", "-n", _ns.Name, "-d", "qdisc", "show", "dev", "v0"), StringComparison.Ordinal);
        Assert.StartsWith("1600b", options.GetProperty("mtu").GetString(), StringComparison.Ordinal);
        Assert.Equal(64_100u, Assert.Single(_tc.ListQdiscs(v0), q => q.Kind == "tbf").Tbf!.Value.LimitBytes);
    }

    [Fact]
    public void Tbf_ContainerdHugeBurst_IsAcceptedWithTheBurstInBytes()
    {
        int v0 = Index("v0");
        TbfParameters p = TbfParameters.FromBandwidth(1_000_000, uint.MaxValue);
        _tc.AddQdisc(v0, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(p));
        JsonElement tbf = Single(TcJson("qdisc", "show", "dev", "v0"), q => q.GetProperty("kind").GetString() == "tbf");
        Assert.Equal(125_000, tbf.GetProperty("options").GetProperty("rate").GetInt64());
    }

    [Fact]
    public void Tbf_64BitRate_ReadsBack()
    {
        int v0 = Index("v0");
        TbfParameters p = TbfParameters.FromBandwidth(40_000_000_000, 8_000_000);
        _tc.AddQdisc(v0, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(p));
        Assert.Equal(5_000_000_000ul, Assert.Single(_tc.ListQdiscs(v0), q => q.Kind == "tbf").Tbf!.Value.RateBytesPerSecond);
        Assert.Equal(5_000_000_000, Single(TcJson("qdisc", "show", "dev", "v0"), q => q.GetProperty("kind").GetString() == "tbf")
            .GetProperty("options").GetProperty("rate").GetInt64());
    }

    [Fact]
    public void BandwidthEgressLayout_IngressPlusU32MirredToIfb()
    {
        int v0 = Index("v0"), ifb = Index("ifb0");
        _tc.AddQdisc(v0, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc());
        _tc.AddFilter(v0, TcHandle.IngressQdisc, 1, new U32Filter(U32Filter.MatchAll, TcHandle.Create(1, 1), new MirredAction(MirredKind.EgressRedirect, ifb)));
        _tc.AddQdisc(ifb, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(5_000_000, 1_000_000)));

        Single(TcJson("qdisc", "show", "dev", "v0"), q => q.GetProperty("kind").GetString() == "ingress");
        JsonElement node = Single(TcJson("filter", "show", "dev", "v0", "ingress"), f => f.TryGetProperty("options", out JsonElement o) && o.TryGetProperty("actions", out _));
        Assert.Equal("1:1", node.GetProperty("options").GetProperty("flowid").GetString());
        JsonElement action = Assert.Single(node.GetProperty("options").GetProperty("actions").EnumerateArray());
        Assert.Equal("mirred", action.GetProperty("kind").GetString());
        Assert.Equal("redirect", action.GetProperty("mirred_action").GetString());
        Assert.Equal("egress", action.GetProperty("direction").GetString());
        Assert.Equal("ifb0", action.GetProperty("to_dev").GetString());

        TcFilterInfo ours = Assert.Single(_tc.ListFilters(v0, TcHandle.IngressQdisc), f => f.Mirred is not null);
        Assert.Equal(new MirredAction(MirredKind.EgressRedirect, ifb), ours.Mirred);
        Assert.Equal(TcHandle.Create(1, 1), ours.ClassId);
        Assert.Equal(1, ours.Priority);
        Assert.Equal(3, ours.Protocol);

        Assert.True(_tc.TryDeleteFilters(v0, TcHandle.IngressQdisc, 1));
        Assert.DoesNotContain(_tc.ListFilters(v0, TcHandle.IngressQdisc), f => f.Mirred is not null);
        Assert.False(_tc.TryDeleteFilters(v0, TcHandle.IngressQdisc, 1));
        Assert.True(_tc.TryDeleteQdisc(v0, TcHandle.Ingress));
        Assert.False(_tc.TryDeleteQdisc(v0, TcHandle.Ingress));
    }

    [Fact]
    public void Clsact_EgressU32Mirror()
    {
        int v1 = Index("v1"), ifb = Index("ifb0");
        _tc.AddQdisc(v1, TcHandle.Ingress, TcHandle.IngressQdisc, new ClsactQdisc());
        _tc.AddFilter(v1, TcHandle.ClsactEgress, 1, new U32Filter(U32Filter.MatchAll, Action: new MirredAction(MirredKind.EgressMirror, ifb)));
        Single(TcJson("qdisc", "show", "dev", "v1"), q => q.GetProperty("kind").GetString() == "clsact");
        JsonElement node = Single(TcJson("filter", "show", "dev", "v1", "egress"), f => f.TryGetProperty("options", out JsonElement o) && o.TryGetProperty("actions", out _));
        JsonElement action = Assert.Single(node.GetProperty("options").GetProperty("actions").EnumerateArray());
        Assert.Equal("mirror", action.GetProperty("mirred_action").GetString());
        Assert.Equal("pipe", action.GetProperty("control_action").GetProperty("type").GetString());
    }

    [Fact]
    public void U32_KeyedSelector_MatchesTcsOwnEncoding()
    {
        int v0 = Index("v0");
        _tc.AddQdisc(v0, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc());
        // match ip dst 10.1.2.3/32: the destination address sits at offset 16 of the IPv4 header.
        _tc.AddFilter(v0, TcHandle.IngressQdisc, 5, new U32Filter([new U32Key(0x0A010203, 0xFFFFFFFF, 16)], TcHandle.Create(1, 5)));
        JsonElement node = Single(TcJson("filter", "show", "dev", "v0", "ingress"), f => f.TryGetProperty("options", out JsonElement o) && o.TryGetProperty("match", out _));
        JsonElement match = node.GetProperty("options").GetProperty("match");
        Assert.Equal("a010203", match.GetProperty("value").GetString());
        Assert.Equal("ffffffff", match.GetProperty("mask").GetString());
        Assert.Equal(16, match.GetProperty("off").GetInt32());
    }

    [Fact]
    public void Htb_QdiscClassAndPfifoLeaf()
    {
        int ifb = Index("ifb0");
        _tc.AddQdisc(ifb, TcHandle.Root, TcHandle.Create(1, 0), new HtbQdisc(0x10));
        _tc.AddClass(ifb, TcHandle.Create(1, 0), TcHandle.Create(1, 0x10), new HtbClass(625_000, 1_250_000));
        _tc.AddQdisc(ifb, TcHandle.Create(1, 0x10), TcHandle.Create(0x21, 0), new PfifoQdisc(100));

        JsonElement qdiscs = TcJson("qdisc", "show", "dev", "ifb0");
        Assert.Equal("0x10", Single(qdiscs, q => q.GetProperty("kind").GetString() == "htb").GetProperty("options").GetProperty("default").GetString());
        JsonElement fifo = Single(qdiscs, q => q.GetProperty("kind").GetString() == "pfifo");
        Assert.Equal("1:10", fifo.GetProperty("parent").GetString());
        Assert.Equal(100, fifo.GetProperty("options").GetProperty("limit").GetInt32());
        // tc 6.1 ignores -j for classes: check its text.
        string classes = Shell.Check("tc", "-n", _ns.Name, "-d", "class", "show", "dev", "ifb0");
        Assert.Contains("class htb 1:10 root leaf 21: prio 0 quantum 62500 rate 5Mbit ceil 10Mbit", classes, StringComparison.Ordinal);

        List<TcQdiscInfo> ours = _tc.ListQdiscs(ifb);
        Assert.Equal((ushort)0x10, Assert.Single(ours, q => q.Kind == "htb").HtbDefaultClass);
        Assert.Equal(100u, Assert.Single(ours, q => q.Kind == "pfifo").FifoLimit);
        TcClassInfo cls = Assert.Single(_tc.ListClasses(ifb), c => c.Handle == TcHandle.Create(1, 0x10));
        Assert.Equal((625_000ul, 1_250_000ul), (cls.RateBytesPerSecond!.Value, cls.CeilBytesPerSecond!.Value));

        // A class with a qdisc below it can still be deleted (the leaf goes with it); then it is gone.
        Assert.True(_tc.TryDeleteClass(ifb, TcHandle.Create(1, 0), TcHandle.Create(1, 0x10)));
        Assert.False(_tc.TryDeleteClass(ifb, TcHandle.Create(1, 0), TcHandle.Create(1, 0x10)));
        Assert.DoesNotContain(_tc.ListClasses(ifb), c => c.Handle == TcHandle.Create(1, 0x10));
    }

    [Fact]
    public void FqCodel_UnderHtbClass()
    {
        int ifb = Index("ifb0");
        _tc.AddQdisc(ifb, TcHandle.Root, TcHandle.Create(1, 0), new HtbQdisc(0x10));
        _tc.AddClass(ifb, TcHandle.Create(1, 0), TcHandle.Create(1, 0x10), new HtbClass(625_000, 1_250_000));
        SkipWhenKernelLacks("qdisc kind 'fq_codel'", () =>
            _tc.AddQdisc(ifb, TcHandle.Create(1, 0x10), TcHandle.Create(0x10, 0), new FqCodelQdisc(1000)));
        Assert.Equal(1000, Single(TcJson("qdisc", "show", "dev", "ifb0"), q => q.GetProperty("kind").GetString() == "fq_codel")
            .GetProperty("options").GetProperty("limit").GetInt32());
    }

    [Fact]
    public void Prio_AtRoot()
    {
        int v1 = Index("v1");
        SkipWhenKernelLacks("qdisc kind 'prio'", () => _tc.AddQdisc(v1, TcHandle.Root, TcHandle.Create(2, 0), new PrioQdisc()));
        Assert.Equal(3, Single(TcJson("qdisc", "show", "dev", "v1"), q => q.GetProperty("kind").GetString() == "prio")
            .GetProperty("options").GetProperty("bands").GetInt32());
    }

    [Fact]
    public void Matchall_MirredRedirect()
    {
        int v0 = Index("v0"), ifb = Index("ifb0");
        _tc.AddQdisc(v0, TcHandle.Ingress, TcHandle.IngressQdisc, new IngressQdisc());
        SkipWhenKernelLacks("classifier 'matchall'", () =>
            _tc.AddFilter(v0, TcHandle.IngressQdisc, 3, new MatchallFilter(Action: new MirredAction(MirredKind.EgressRedirect, ifb))));
        TcFilterInfo ours = Assert.Single(_tc.ListFilters(v0, TcHandle.IngressQdisc), f => f.Kind == "matchall" && f.Mirred is not null);
        Assert.Equal(ifb, ours.Mirred!.TargetIfIndex);
    }

    [Fact]
    public void Errors_CarryErrnoAndKernelText()
    {
        NetlinkException e = Assert.Throws<NetlinkException>(() =>
            _tc.AddQdisc(99_999, TcHandle.Root, TcHandle.Create(1, 0), new TbfQdisc(TbfParameters.FromBandwidth(1_000_000, 80_000))));
        Assert.Equal(19, e.Errno); // ENODEV
        int v0 = Index("v0");
        // A filter on a qdisc that does not exist.
        NetlinkException f = Assert.Throws<NetlinkException>(() =>
            _tc.AddFilter(v0, TcHandle.IngressQdisc, 1, new U32Filter(U32Filter.MatchAll)));
        Assert.NotEqual(0, f.Errno);
    }
}
