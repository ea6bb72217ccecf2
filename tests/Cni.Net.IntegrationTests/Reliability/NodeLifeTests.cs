using System.Globalization;
using System.Text;
using Cni.Net.Execution;
using Cni.Net.IntegrationTests.Infrastructure;
using Cni.Net.Spec;

namespace Cni.Net.IntegrationTests.Reliability;

/// <summary>
/// Pods that die without a DEL (a runtime crash, a reboot with a persistent dataDir): GC with
/// <c>cni.dev/valid-attachments</c> (cniVersion 1.1.0) must reclaim exactly the stale pods in every plugin of the chain —
/// bridge and its host-local, portmap, bandwidth — and leave the valid ones as they were; DEL without a netns must
/// then clean a pod fully. "Exactly" is checked on the whole node: after GC it equals its snapshot with only the
/// valid pods up.
/// </summary>
public sealed class NodeLifeTests
{
    private const int Valid = 5;
    private const int Stale = 5;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CniRuntimeRequest Request(int i, TestNamespace? pod) =>
        new($"ctr-life-{i}", pod?.Path, "eth0") { CapabilityArgs = ShapedChainNode.CapabilityArgs(22000 + i) };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PodsGoneWithoutDel_GCReclaimsExactlyThemInEveryPlugin_ThenDelWithoutNetnsCleansFully(bool cacheLost)
    {
        using var chain = new ShapedChainNode(subnet: "10.85.0.0/24", cniVersion: "1.1.0");
        NetworkConfigList list = NetworkConfigList.Parse(Encoding.UTF8.GetBytes(chain.Conflist));
        CniChainExecutor executor = chain.Node.Executor;
        var pods = Enumerable.Range(0, Valid + Stale).Select(_ => new TestNamespace("life")).ToList();
        try
        {
            await executor.AddAsync(list, Request(99, pods[0]), Ct);
            await executor.DelAsync(list, Request(99, pods[0]), Ct);
            string empty = NodeSnapshot.Capture(chain.StateDirectories);

            for (int i = 0; i < Valid; i++)
            {
                await executor.AddAsync(list, Request(i, pods[i]), Ct);
            }
            // With the cache lost only the plugins' own GC can find the stale pods: the store is the evidence.
            string[] state = cacheLost ? [chain.Node.DataDirectory] : chain.StateDirectories;
            string validOnly = NodeSnapshot.Capture(state);
            for (int i = Valid; i < Valid + Stale; i++)
            {
                await executor.AddAsync(list, Request(i, pods[i]), Ct);
            }
            Assert.Equal(Valid + Stale, chain.Node.Reservations(ShapedChainNode.Network).Count);

            // The runtime crashed: the stale pods' namespaces are gone (their veths with them), nobody sent DEL.
            for (int i = Valid; i < Valid + Stale; i++)
            {
                pods[i].Dispose();
            }
            if (cacheLost)
            {
                Directory.Delete(chain.CacheDirectory, recursive: true);
            }
            IReadOnlyList<CniException> errors = await executor.GCAsync(list,
                Enumerable.Range(0, Valid).Select(i => new CniAttachmentId($"ctr-life-{i}", "eth0")), Ct);
            Assert.True(errors.Count == 0, string.Join('\n', errors.Select(e => e.Message)));
            NodeSnapshot.AssertUnchanged(validOnly, $"GC (cache {(cacheLost ? "lost" : "kept")}) ", state);

            // The valid pods die too; DEL without a netns (CNI_NETNS empty) must still clean everything.
            for (int i = 0; i < Valid; i++)
            {
                pods[i].Dispose();
                await executor.DelAsync(list, Request(i, null), Ct);
            }
            NodeSnapshot.AssertUnchanged(empty, "DEL without netns", chain.StateDirectories);
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"GC (cache {(cacheLost ? "lost" : "kept")}): {Stale} stale pods reclaimed, {Valid} valid untouched; {Valid} DELs without netns: nothing left"));
        }
        finally
        {
            pods.ForEach(p => p.Dispose());
        }
    }
}
