using System.Net;
using System.Net.Sockets;
using Cni.Net.Netfilter;

namespace Cni.Net.Tests.Netfilter;

public class InMemoryNetfilterBackendTests
{
    private const AddressFamily V4 = AddressFamily.InterNetwork;

    private static NetfilterRule Accept(string source) => new() { Source = IPNetwork.Parse(source), Target = NetfilterTarget.Accept };

    [Fact]
    public async Task EnsureChainAndAppendUnique_Twice_AreIdempotent()
    {
        var backend = new InMemoryNetfilterBackend();
        for (int i = 0; i < 2; i++)
        {
            await backend.ApplyAsync(new NetfilterTransaction(V4)
                .EnsureChain(NetfilterTable.Filter, "CNI-X")
                .AppendUnique(NetfilterTable.Filter, "CNI-X", Accept("10.0.0.0/8"))
                .AppendUnique(NetfilterTable.Filter, "FORWARD", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-X") }), TestContext.Current.CancellationToken);
        }
        Assert.Equal(
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:CNI-X - [0:0]\n" +
            "-A FORWARD -j CNI-X\n-A CNI-X -s 10.0.0.0/8 -j ACCEPT\nCOMMIT\n",
            backend.Save(V4, NetfilterTable.Filter));
        // The second transaction changed nothing, so nothing was sent.
        Assert.Equal(["*filter\n-N CNI-X\n-A CNI-X -s 10.0.0.0/8 -j ACCEPT\n-A FORWARD -j CNI-X\nCOMMIT\n"], backend.RestoreInputs);
    }

    [Fact]
    public async Task FailingTransaction_ChangesNothing()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(new NetfilterTransaction(V4).EnsureChain(NetfilterTable.Filter, "A")
            .Append(NetfilterTable.Filter, "A", Accept("10.0.0.1/32")), TestContext.Current.CancellationToken);
        string before = backend.Save(V4, NetfilterTable.Filter);
        var tx = new NetfilterTransaction(V4)
            .EnsureChain(NetfilterTable.Filter, "B")
            .Append(NetfilterTable.Filter, "A", Accept("10.0.0.2/32"))
            .Delete(NetfilterTable.Filter, "A", Accept("10.9.9.9/32"));
        NetfilterException e = await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(tx, TestContext.Current.CancellationToken).AsTask());
        Assert.Contains("no rule '-s 10.9.9.9/32 -j ACCEPT'", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, backend.Save(V4, NetfilterTable.Filter));
    }

    [Fact]
    public async Task Delete_Missing_IgnoredWhenAsked()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(new NetfilterTransaction(V4)
            .Delete(NetfilterTable.Nat, "CNI-NOPE", Accept("10.0.0.1/32"), ignoreMissing: true)
            .Delete(NetfilterTable.Nat, "POSTROUTING", Accept("10.0.0.1/32"), ignoreMissing: true)
            .DeleteChain(NetfilterTable.Nat, "CNI-NOPE", ignoreMissing: true)
            .FlushChain(NetfilterTable.Nat, "CNI-NOPE", ignoreMissing: true), TestContext.Current.CancellationToken);
        Assert.Empty(backend.RestoreInputs);
        await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .DeleteChain(NetfilterTable.Nat, "CNI-NOPE"), TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task Insert_AtPosition_AndInsertUniqueKeepsExisting()
    {
        var backend = new InMemoryNetfilterBackend();
        await backend.ApplyAsync(new NetfilterTransaction(V4)
            .Append(NetfilterTable.Filter, "INPUT", Accept("10.0.0.1/32"))
            .Append(NetfilterTable.Filter, "INPUT", Accept("10.0.0.3/32"))
            .Insert(NetfilterTable.Filter, "INPUT", 2, Accept("10.0.0.2/32"))
            .InsertUnique(NetfilterTable.Filter, "INPUT", 1, Accept("10.0.0.3/32")), TestContext.Current.CancellationToken);
        NetfilterTableState t = await backend.ReadTableAsync(V4, NetfilterTable.Filter, TestContext.Current.CancellationToken);
        Assert.Equal(["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"], t.FindChain("INPUT")!.Rules.Select(r => r.Source.ToString()));
        await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .Insert(NetfilterTable.Filter, "INPUT", 5, Accept("10.0.0.4/32")), TestContext.Current.CancellationToken).AsTask());
    }

    [Fact]
    public async Task Refusals_MatchTheKernel()
    {
        var backend = new InMemoryNetfilterBackend();
        CancellationToken ct = TestContext.Current.CancellationToken;
        await backend.ApplyAsync(new NetfilterTransaction(V4).EnsureChain(NetfilterTable.Nat, "CNI-A")
            .Append(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-A") }), ct);
        // jump to a chain that does not exist
        await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .Append(NetfilterTable.Nat, "POSTROUTING", new NetfilterRule { Target = NetfilterTarget.Jump("CNI-B") }), ct).AsTask());
        // DROP in nat
        await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .Append(NetfilterTable.Nat, "CNI-A", new NetfilterRule { Target = NetfilterTarget.Drop }), ct).AsTask());
        // deleting a chain still jumped to
        NetfilterException e = await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .DeleteChain(NetfilterTable.Nat, "CNI-A"), ct).AsTask());
        Assert.Contains("POSTROUTING still jumps", e.Message, StringComparison.Ordinal);
        // a built-in chain
        await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .DeleteChain(NetfilterTable.Nat, "POSTROUTING"), ct).AsTask());
        // appending to a missing chain
        await Assert.ThrowsAsync<NetfilterException>(() => backend.ApplyAsync(new NetfilterTransaction(V4)
            .Append(NetfilterTable.Nat, "CNI-Z", new NetfilterRule { Target = NetfilterTarget.Masquerade }), ct).AsTask());
        // deleting the jump and the chain in one transaction works
        await backend.ApplyAsync(new NetfilterTransaction(V4)
            .DeleteRules(NetfilterTable.Nat, "POSTROUTING", r => r.Target is JumpTarget { Chain: "CNI-A" })
            .DeleteChain(NetfilterTable.Nat, "CNI-A"), ct);
        Assert.Equal(4, (await backend.ReadTableAsync(V4, NetfilterTable.Nat, ct)).Chains.Count);
    }

    [Fact]
    public void Transaction_RejectsBadInput()
    {
        var tx = new NetfilterTransaction(V4);
        Assert.Throws<ArgumentException>(() => tx.EnsureChain(NetfilterTable.Nat, "-j"));
        Assert.Throws<ArgumentException>(() => tx.EnsureChain(NetfilterTable.Nat, "CNI-THIS-NAME-IS-LONGER-THAN-28"));
        Assert.Throws<ArgumentException>(() => tx.EnsureChain(NetfilterTable.Nat, "two words"));
        Assert.Throws<ArgumentException>(() => tx.Append(NetfilterTable.Nat, "X", new NetfilterRule { Source = IPNetwork.Parse("fd00::/64") }));
        Assert.Throws<ArgumentException>(() => tx.Append(NetfilterTable.Nat, "X", new NetfilterRule { Matches = [NetfilterMatch.DestinationPort(80)] }));
        Assert.Throws<ArgumentException>(() => tx.Append(NetfilterTable.Nat, "X", new NetfilterRule { InInterface = "eth0 -j ACCEPT" }));
        Assert.Throws<ArgumentException>(() => tx.Append(NetfilterTable.Nat, "X", new NetfilterRule { Target = NetfilterTarget.Dnat(IPAddress.Parse("fd00::1")) }));
        Assert.Throws<ArgumentException>(() => tx.Append(NetfilterTable.Nat, "X", new NetfilterRule { Protocol = "tcp;" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => tx.Insert(NetfilterTable.Nat, "X", 0, new NetfilterRule()));
        Assert.Throws<ArgumentException>(() => new NetfilterTransaction(AddressFamily.Unix));
        Assert.Equal(0, tx.Count);
    }
}
