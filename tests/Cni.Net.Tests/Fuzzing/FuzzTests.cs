using Cni.Net.Fuzz;

namespace Cni.Net.Tests.Fuzzing;

/// <summary>
/// The coverage-guided fuzz targets (tests/Cni.Net.Fuzz, run under afl-fuzz by eng/fuzz.sh and, briefly, by
/// eng/test.sh) on their seed corpora, without afl-fuzz: a target that stops compiling or rejects a golden vector
/// fails here, in the ordinary unit tests.
/// </summary>
public sealed class FuzzTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Select(t => t.Name)];

    [Theory]
    [MemberData(nameof(Targets))]
    public void Target_PassesEverySeed(string name)
    {
        FuzzTarget target = FuzzTargets.Find(name)!;
        IReadOnlyList<byte[]> seeds = target.Seeds();
        Assert.True(seeds.Count >= 5, $"{name}: only {seeds.Count} seeds");
        foreach (byte[] seed in seeds)
        {
            target.Run(seed);
        }
    }

    [Fact]
    public void PluginHostInput_SplitsEnvironmentFromStdin()
    {
        (Dictionary<string, string> env, ReadOnlyMemory<byte> stdin) =
            Cni.Net.Fuzz.Targets.PluginHostTarget.Split("CNI_COMMAND=ADD\nCNI_ARGS=A=1;B=2\nnoise\n\n{\"x\":1}"u8);
        Assert.Equal("ADD", env["CNI_COMMAND"]);
        Assert.Equal("A=1;B=2", env["CNI_ARGS"]);
        Assert.Equal(2, env.Count);
        Assert.Equal("{\"x\":1}"u8.ToArray(), stdin.ToArray());
    }
}
