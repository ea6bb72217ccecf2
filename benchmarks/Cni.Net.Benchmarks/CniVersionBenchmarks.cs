using BenchmarkDotNet.Attributes;
using Cni.Net.Spec;

namespace Cni.Net.Benchmarks;

[MemoryDiagnoser]
public class CniVersionBenchmarks
{
    [Benchmark]
    public CniVersion Default() => default;
}
