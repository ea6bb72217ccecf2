namespace Cni.Net.Fuzz.Targets;

/// <summary>The spec's golden documents (TestData/Spec: configs, lists, results of every version, errors, plugin inputs).</summary>
internal static class SpecSeeds
{
    public static IReadOnlyList<byte[]> All() => [.. TestData.Files("Spec").Select(File.ReadAllBytes)];
}
