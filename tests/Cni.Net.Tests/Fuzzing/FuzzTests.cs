using System.Diagnostics;
using System.Globalization;

namespace Cni.Net.Tests.Fuzzing;

/// <summary>
/// In-process fuzzing of the input readers with a deterministic mutation loop (seeded; libFuzzer-style mutators, see
/// <see cref="Mutator"/>) from the golden vectors: at least 100,000 executions per target in eng/test.sh; eng/fuzz.sh
/// runs many more (CNI_NET_FUZZ_EXECUTIONS, CNI_NET_FUZZ_SEED). A crash fails with the input in hex, to become a
/// regression test.
/// </summary>
public sealed class FuzzTests
{
    private static int Executions => int.TryParse(Environment.GetEnvironmentVariable("CNI_NET_FUZZ_EXECUTIONS"), NumberStyles.Integer,
        CultureInfo.InvariantCulture, out int n) ? n : 100_000;

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("CNI_NET_FUZZ_SEED"), NumberStyles.Integer,
        CultureInfo.InvariantCulture, out int n) ? n : 14;

    private delegate void Target(ReadOnlySpan<byte> data);

    private static void Run(string name, Target target, IReadOnlyList<byte[]> seeds, bool json)
    {
        Assert.NotEmpty(seeds);
        foreach (byte[] s in seeds)
        {
            target(s); // the seeds themselves must pass
        }
        var mutator = new Mutator(Seed, seeds, json);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Executions; i++)
        {
            ReadOnlySpan<byte> input = mutator.Next();
            try
            {
                target(input);
            }
            catch (Exception e)
            {
                Assert.Fail($"{name}: crash at execution {i} (seed {Seed}): {e.GetType().Name}: {e.Message}\ninput: {Convert.ToHexString(input)}\n{e.StackTrace}");
            }
        }
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: {Executions} executions in {clock.Elapsed.TotalSeconds:F1} s, seed {Seed}, {seeds.Count} seeds, no crash"));
    }

    [Fact]
    public void NetlinkReader() => Run("netlink reader", FuzzTargets.Netlink, FuzzTargets.NetlinkSeeds(), json: false);

    [Fact]
    public void NfTablesDecoder() => Run("nf_tables decoder", FuzzTargets.NfTables, FuzzTargets.NfTablesSeeds(), json: false);

    [Fact]
    public void CniConfigAndResultReaders() => Run("CNI config/result readers", FuzzTargets.CniReaders, FuzzTargets.SpecSeeds(), json: true);

    [Fact]
    public void PluginHostStdin() => Run("plugin host stdin", FuzzTargets.PluginHostStdin, FuzzTargets.SpecSeeds(), json: true);
}
